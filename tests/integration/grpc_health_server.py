"""A grpc.health.v1.Health server for the gRPC/H2PING check tests.

Runs in its own process so that grpcio's threads and fork handlers never live
inside pytest (which forks agents).  Protocol on stdin/stdout, one line each:
  -> "port <n>"                 once listening on 127.0.0.1:<n>
  <- "set <service> <status>"   status: 1 SERVING, 2 NOT_SERVING, 0 remove
  -> "ok"
  <- "asked"                    -> JSON list of services asked so far
Messages are encoded by hand (HealthCheckRequest{string service = 1},
HealthCheckResponse{ServingStatus status = 1}), so no generated code is needed.
"""

import json
import sys
from concurrent import futures

import grpc


def service_of(data):
    i, out = 0, ""
    while i < len(data):
        key = data[i]
        i += 1
        if key != 0x0A:
            break
        n, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out = data[i:i + n].decode()
        i += n
    return out


def main():
    status = {"": 1}
    asked = []

    def check(request, context):
        svc = service_of(request)
        asked.append(svc)
        st = status.get(svc)
        if st is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return bytes([0x08, st])

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"port {port}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "set":
            svc = "" if words[1] == "-" else words[1]
            if words[2] == "0":
                status.pop(svc, None)
            else:
                status[svc] = int(words[2])
            print("ok", flush=True)
        elif words[0] == "asked":
            print(json.dumps(asked), flush=True)
    server.stop(0)


if __name__ == "__main__":
    main()
