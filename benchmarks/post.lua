-- wrk script: POST a JSON body with the headers given in the environment. With
-- BENCH_BODY2 set, requests alternate between BENCH_BODY and BENCH_BODY2.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and #token > 0 then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local second = os.getenv("BENCH_BODY2")
if second and #second > 0 then
  local turn = 0
  request = function()
    turn = turn + 1
    local body = (turn % 2 == 0) and second or wrk.body
    return wrk.format(nil, nil, nil, body)
  end
end
