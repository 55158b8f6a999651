-- wrk script: read one key through etcd's v3 HTTP/JSON gateway, the counterpart of
-- cairn's GET /v1/kv/bench/key: POST /v3/kv/range {"key": base64("bench/key")}.
-- No "serializable" field, so the read is linearizable (etcd's default: ReadIndex
-- through the leader), as cairn's default-consistency GET goes through its leader.
local req

function init(args)
   req = wrk.format("POST", "/v3/kv/range", {["Content-Type"] = "application/json"},
                    '{"key":"YmVuY2gva2V5"}')
end

function request()
   return req
end
