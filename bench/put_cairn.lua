-- wrk script: PUT /v1/kv/bench/k<0..999> with a 16-byte value (cairn / Consul KV).
-- Keys are picked at random per request from 1000 prebuilt requests, so writes
-- spread over a small set of keys the way a config store sees them.
local reqs = {}
local n = 1000

function init(args)
   for i = 0, n - 1 do
      reqs[i] = wrk.format("PUT", string.format("/v1/kv/bench/k%d", i),
                           {["Content-Type"] = "application/octet-stream"},
                           string.format("value-%010d", i))
   end
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
   return reqs[math.random(0, n - 1)]
end
