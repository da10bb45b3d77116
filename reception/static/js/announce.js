/* Spoken calls on a hall display: "chime, ticket M 12, counter 4" in Arabic, then in
   English, put together from short clips under /static/audio/. Announcements wait
   their turn in a queue and never overlap; a recall is simply announced again. */
(function () {
  "use strict";
  var BASE = "/static/audio/";

  function numberClips(language, n) {
    if (n < 100) return ["n-" + n];
    var hundreds = Math.floor(n / 100) * 100, rest = n % 100;
    if (!rest) return ["n-" + hundreds];
    // Arabic joins the rest with "wa" ("mi'a wa ithna 'ashar"); English needs nothing.
    return language === "ar" ? ["n-" + hundreds + "-and", "n-" + rest] : ["n-" + hundreds, "n-" + rest];
  }

  /* "M-012" at counter 4 → the clip URLs, in the order they are played. */
  function clipsFor(number, counter) {
    var match = /^([A-Z]+)-0*(\d+)$/.exec(String(number));
    if (!match) return [];
    var letters = match[1].split(""), value = parseInt(match[2], 10) % 1000;
    var urls = [BASE + "chime.opus"];
    ["ar", "en"].forEach(function (language) {
      var names = ["ticket"];
      letters.forEach(function (l) { names.push("letter-" + l); });
      names = names.concat(numberClips(language, value), ["counter"], numberClips(language, Number(counter) % 1000));
      names.forEach(function (name) { urls.push(BASE + language + "/" + name + ".opus"); });
    });
    return urls;
  }

  function Announcer(options) {
    this.audio = new Audio();
    this.audio.preload = "auto";
    this.queue = [];
    this.playing = false;
    this.volume = 0.8;
    this.played = [];  // every clip URL started, in order (shown to tests and kept short)
    this.onBlocked = options && options.onBlocked;
  }

  Announcer.prototype.setVolume = function (percent) {
    this.volume = Math.max(0, Math.min(100, Number(percent) || 0)) / 100;
    this.audio.volume = this.volume;
  };

  Announcer.prototype.announce = function (number, counter) {
    if (this.volume === 0) return;
    var clips = clipsFor(number, counter);
    if (!clips.length) return;
    this.queue.push(clips);
    if (!this.playing) this._next();
  };

  Announcer.prototype._next = function () {
    var self = this;
    var clips = self.queue.shift();
    if (!clips) { self.playing = false; return; }
    self.playing = true;
    var index = 0;
    function step() {
      if (index >= clips.length) { setTimeout(function () { self._next(); }, 400); return; }
      var url = clips[index++];
      self.played.push(url);
      if (self.played.length > 200) self.played.splice(0, 100);
      self.audio.src = url;
      self.audio.volume = self.volume;
      var done = false;
      function finish() { if (!done) { done = true; step(); } }
      self.audio.onended = finish;
      self.audio.onerror = finish;  // a missing clip is skipped, the rest still plays
      var started = self.audio.play();
      if (started && started.catch) {
        started.catch(function (error) {
          if (error && error.name === "NotAllowedError") {
            // The browser wants one touch before it plays sound: keep the call, ask once.
            self.queue.unshift(clips.slice(index - 1));
            self.playing = false;
            self.played.pop();
            if (self.onBlocked) self.onBlocked();
          } else {
            finish();
          }
        });
      }
    }
    step();
  };

  Announcer.prototype.resume = function () {
    if (!this.playing) this._next();
  };

  window.ReceptionAnnouncer = { Announcer: Announcer, clipsFor: clipsFor };
})();
