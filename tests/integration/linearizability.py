"""A linearizability checker for a register history (Wing & Gong's search with
Lowe's memoisation, as Knossos and Porcupine do it), written for the cluster
tests.

Model: one register holding a value (None when absent). Every write in a
history writes a value no other write uses, so "the ModifyIndex a client read"
and "the value it read" identify the same write; that lets a CAS on Consul's
ModifyIndex be modelled as a compare-and-set on the value.

Operations (dicts):
    kind   "read" | "write" | "cas"
    arg    write: the value; cas: (expected, new)
    ret    read: the value seen; write: True; cas: True/False;
           None when the outcome is unknown (error or timeout): the operation
           may have taken effect at any time after its call, or never
    call, end   monotonic times; end is None for unknown outcomes

check(history) returns (True, order) or (False, explanation).
"""
import math
import sys
import threading


def _apply(state, op):
    """(ok, new_state) of applying op to state under the register model."""
    kind, arg, ret = op["kind"], op.get("arg"), op.get("ret")
    if kind == "read":
        return (ret == state, state)
    if kind == "write":
        return (True, arg)
    if kind == "cas":
        expected, new = arg
        if ret is None:  # unknown outcome: either branch is allowed (see search)
            return (True, new if state == expected else state)
        if ret:
            return (state == expected, new)
        return (state != expected, state)
    raise ValueError(kind)


def _settle_unknown(history):
    """Unknown outcomes, made definite where the history allows it:
    - a write or CAS whose value nobody ever observed (no read returned it,
      no CAS expected it) may be taken as never having happened: leaving it
      out is one of the linearizations the unknown outcome allows;
    - one whose value was observed did happen, and before the first observer
      ended: it becomes a completed op with that end.
    What is left has no open-ended operations, which keeps the search to the
    concurrency of the run."""
    first_seen = {}
    for op in history:
        if op.get("ret") is None or op.get("end") is None:
            continue
        seen = []
        if op["kind"] == "read":
            seen.append(op["ret"])
        elif op["kind"] == "cas":
            seen.append(op["arg"][0])
        for v in seen:
            first_seen[v] = min(first_seen.get(v, math.inf), op["end"])
    ops = []
    for op in history:
        op = dict(op)
        if op.get("ret") is None:
            if op["kind"] == "read":
                continue  # a read that never answered constrains nothing
            value = op["arg"] if op["kind"] == "write" else op["arg"][1]
            if value not in first_seen:
                continue  # never observed: taken as not applied
            op["ret"] = True
            op["end"] = max(first_seen[value], op["call"])
        ops.append(op)
    return ops


def check(history, initial=None, budget=2_000_000):
    ops = _settle_unknown(history)
    n = len(ops)
    order = sorted(range(n), key=lambda i: ops[i]["call"])
    seen = set()
    steps = 0

    def unknown(i):
        return ops[i]["end"] == math.inf

    def search(done, state, lin):
        nonlocal steps
        steps += 1
        if steps > budget:
            raise RuntimeError("linearizability search budget exhausted")
        if all(done[i] or unknown(i) for i in range(n)):
            return lin
        key = (tuple(done), repr(state))
        if key in seen:
            return None
        seen.add(key)
        # candidates: pending ops that were called before every pending op ended
        pending = [i for i in order if not done[i]]
        horizon = min((ops[i]["end"] for i in pending), default=math.inf)
        for i in pending:
            if ops[i]["call"] > horizon:
                break
            op = ops[i]
            if op["kind"] == "cas" and op.get("ret") is None:
                branches = [(state == op["arg"][0], op["arg"][1] if state == op["arg"][0] else state)]
            else:
                branches = [_apply(state, op)]
            for ok, nstate in branches:
                if not ok:
                    continue
                done[i] = True
                r = search(done, nstate, lin + [i])
                done[i] = False
                if r is not None:
                    return r
        return None

    # the search recurses once per linearized operation: give it the depth,
    # in a thread with a stack to match
    out = {}

    def run():
        try:
            out["r"] = search([False] * n, initial, [])
        except BaseException as e:  # noqa: BLE001 - re-raised below
            out["e"] = e
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 4 * n + 1000))
    old_stack = threading.stack_size(256 << 20)
    try:
        t = threading.Thread(target=run)
        t.start()
        t.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "e" in out:
        raise out["e"]
    result = out["r"]
    if result is None:
        return False, f"no linearization of {n} operations"
    return True, [ops[i] for i in result]
