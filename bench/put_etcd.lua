-- wrk script: the same writes as put_cairn.lua through etcd's v3 HTTP/JSON gateway:
-- POST /v3/kv/put {"key": base64("bench/k<0..999>"), "value": base64(16-byte value)}.
local reqs = {}
local n = 1000
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64(s)
   local out = {}
   for i = 1, #s, 3 do
      local a, b, c = s:byte(i, i + 2)
      local v = a * 65536 + (b or 0) * 256 + (c or 0)
      local k = 4
      if not b then k = 2 elseif not c then k = 3 end
      for j = 1, 4 do
         if j <= k then
            local idx = math.floor(v / 2 ^ (6 * (4 - j))) % 64
            out[#out + 1] = alphabet:sub(idx + 1, idx + 1)
         else
            out[#out + 1] = "="
         end
      end
   end
   return table.concat(out)
end

function init(args)
   for i = 0, n - 1 do
      local body = string.format('{"key":"%s","value":"%s"}',
                                 b64(string.format("bench/k%d", i)),
                                 b64(string.format("value-%010d", i)))
      reqs[i] = wrk.format("POST", "/v3/kv/put",
                           {["Content-Type"] = "application/json"}, body)
   end
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
   return reqs[math.random(0, n - 1)]
end
