/* A Print button that only appears where script runs; without it the browser's own
   print command does the same.

   A ticket (the element marked data-paper) is printed on a roll: the page is as long
   as the ticket, not a fixed sheet. CSS cannot say "as long as the content", so the
   printed layout is measured here — every print rule is applied to the screen for a
   moment, the ticket's height read, and the rules put back, all before anything is
   drawn — and an @page rule of that length is written. It is measured again whenever
   the ticket changes and just before printing. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  var paper = document.querySelector("[data-paper]");
  if (!paper) return;
  var MARGIN_MM = 3, SPARE_MM = 2, PX_PER_MM = 96 / 25.4;
  var own = Array.prototype.find.call(document.styleSheets, function (sheet) {
    return sheet.href && /\/kiosk\.css(\?|$)/.test(sheet.href);
  });
  if (!own) return;
  var pageRule = -1;

  function printRules() {
    var found = [];
    Array.prototype.forEach.call(document.styleSheets, function (sheet) {
      var rules;
      try { rules = sheet.cssRules; } catch (e) { return; }
      Array.prototype.forEach.call(rules, function (rule) {
        if (rule.media && rule.media.mediaText === "print") found.push(rule.media);
      });
    });
    return found;
  }

  function fit() {
    var media = printRules();
    media.forEach(function (m) { m.appendMedium("screen"); });
    var height = paper.getBoundingClientRect().height;
    media.forEach(function (m) { m.deleteMedium("screen"); });
    if (!height) return;
    var length = Math.ceil(height / PX_PER_MM) + 2 * MARGIN_MM + SPARE_MM;
    var text = "@page { size: 80mm " + length + "mm; margin: " + MARGIN_MM + "mm; }";
    if (pageRule >= 0) own.deleteRule(pageRule);
    pageRule = own.insertRule(text, own.cssRules.length);
    paper.dataset.paperLength = String(length);
  }

  fit();
  if (document.fonts) document.fonts.ready.then(fit);
  window.addEventListener("beforeprint", fit);
  document.addEventListener("ticket:updated", fit);
})();
