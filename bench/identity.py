#!/usr/bin/env python
"""Identity benchmark, in one process through Django's test Client (every middleware,
sessions, templates, the embedded PostgreSQL and Redis), on its own database
(helpdesk_bench_identity: migrated, demo data and --tickets tickets, seeded once). Prints:

1. what AccessMiddleware adds to a signed-in page request: the queue (/tickets/) and
   /accounts/preferences/ as a vendor's agent, with the full MIDDLEWARE ("with") and with
   AccessMiddleware left out ("without": a second Client whose handler built its
   middleware chain under ``override_settings``); and a control, "no-record": the full
   chain, but the session carries no identity record, so the middleware passes the
   request straight on (the same frames as "with", none of the checks). The arms take
   turns request by request, in rounds, so drift on the machine falls on all alike. Wall
   p50/p95/mean, CPU p50 and SQL statements per request; the differences (of the
   percentiles, the median of the paired requests' differences, each round's p50):
   "added" with − without, "checks" with − no-record (the middleware's work), "frame"
   no-record − without (one more frame on the stack, see below); the middleware's own
   time (its code, not the middleware and view below it), and a request that writes
   "last seen";
2. the same with the agent's vendor limited to 50 address ranges, the matching one last
   (so every request tests all 50), and the check alone (``OrganisationRules.allows``);
3. the API: GET /api/v1/queues/ with an API token (SHA-256 digest lookup, scope,
   networks) and with the signed-in session, in turns; SQL statements per call;
4. signing in: POST /accounts/sign-in/ with a password (PBKDF2, timed alone too), and the
   second step POST /accounts/sign-in/verify/ with a valid code from an authenticator app.
   A code is accepted once per 30-second window per device, so each sample is a different
   person with their own confirmed TOTP device (made once, reset at each run).

    .venv/bin/python bench/identity.py
    .venv/bin/python bench/identity.py --rounds 5 --per-round 60 --sign-ins 40  # longer

The figures are in-process: no HTTP, no gunicorn; the garbage collector's survivors are
frozen after warm-up, as helpdesk.wsgi does in a worker. It runs in about three minutes.

Read the page-level differences with care: the middleware's own work is tens of µs, far
below the pages' noise, and on CPython 3.11 the depth of the stack alone moves a page's
time. The same /accounts/preferences/ request, called from three frames deeper, took
~16% more CPU here (92 → 108 ms), with no more Python calls (the interpreter's frame
stack is allocated in chunks). Leaving out a middleware removes a frame, hence the
"no-record" control; timing the middleware with a wrapper adds two, so the own-time pass
is kept apart from the paired runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

BASE_DIR = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import bench_env, ensure_database, manage, percentiles, sql  # noqa: E402

if TYPE_CHECKING:
    from django.test import Client

    from accounts.models import User

HOST = "localhost"  # in the default ALLOWED_HOSTS; the test Client's address is 127.0.0.1
AGENT = "northwind.agent@example.com"  # a vendor's agent: the vendor's allow-list applies
ADMIN = "admin@example.com"
PASSWORD = "helpdesk-demo"  # noqa: S105 - the demo password
ACCESS = "identity.middleware.AccessMiddleware"
PAGES = ("/tickets/", "/accounts/preferences/")
API = "/api/v1/queues/"
SIGN_IN, VERIFY = "/accounts/sign-in/", "/accounts/sign-in/verify/"
BENCH_USERS = "bench.identity."
TOKEN_NAME = "bench identity"  # noqa: S105 - a token's name
# 49 ranges that do not hold 127.0.0.1 (RFC 2544's benchmarking block), then one that does.
RANGES = [f"198.18.{n}.0/24" for n in range(49)] + ["127.0.0.0/8"]


def prepare(args: argparse.Namespace) -> dict[str, str]:
    """The bench database: migrated, static files collected (DEBUG is off: pages need the
    manifest), demo data with --tickets tickets (seeded once)."""
    env = bench_env(args.database)
    if args.skip_setup:
        return env
    ensure_database(args.database)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    have = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    if have < args.tickets:
        started = time.monotonic()
        manage(env, "seed_demo", "--tickets", str(args.tickets - have), "--quiet-logins")
        print(f"seeded {args.tickets - have} tickets in {time.monotonic() - started:.0f}s")
    return env


# --- timing -----------------------------------------------------------------------------


@dataclass
class Arm:
    label: str
    client: Client
    headers: dict[str, str] = field(default_factory=dict)
    context: Callable[[], AbstractContextManager[Any]] = nullcontext


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    round_p50: list[float] = field(default_factory=list)


def timed_get(arm: Arm, path: str) -> tuple[float, float, int]:
    """Wall ms, CPU ms and the status of one GET (the arm's settings entered first)."""
    with arm.context():
        wall, cpu = time.perf_counter(), time.process_time()
        status = arm.client.get(path, headers=arm.headers).status_code
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, status


def warm_up(arms: list[Arm], paths: tuple[str, ...], times: int) -> None:
    for _ in range(times):
        for arm in arms:
            for path in paths:
                status = timed_get(arm, path)[2]
                if status != 200:
                    raise SystemExit(f"{arm.label}: {path} answered {status}")


def alternate(
    arms: list[Arm], paths: tuple[str, ...], rounds: int, per_round: int
) -> dict[tuple[str, str], Samples]:
    """The arms take turns request by request (the first to go alternating), the paths
    too, in rounds; so drift on the machine falls on both arms alike, and the i-th
    samples of two arms are a pair taken moments apart."""
    found = {(arm.label, path): Samples() for arm in arms for path in paths}
    for _round in range(rounds):
        for n in range(per_round):
            for arm in arms if n % 2 == 0 else list(reversed(arms)):
                for path in paths:
                    wall, cpu, status = timed_get(arm, path)
                    if status != 200:
                        raise SystemExit(f"{arm.label}: {path} answered {status}")
                    found[arm.label, path].wall.append(wall)
                    found[arm.label, path].cpu.append(cpu)
        for arm in arms:
            for path in paths:
                this_round = found[arm.label, path].wall[-per_round:]
                found[arm.label, path].round_p50.append(statistics.median(this_round))
    return found


def query_counts(arm: Arm, path: str, times: int = 3) -> tuple[int, int]:
    """Fewest and most SQL statements over a few requests in a row (the policy cache
    reloads, two queries, on the first request after IDENTITY_POLICY_SECONDS)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(times):
        with CaptureQueriesContext(connection) as captured:
            timed_get(arm, path)
        counts.append(len(captured.captured_queries))
    return min(counts), max(counts)


def _queries(counts: tuple[int, int]) -> str:
    return str(counts[0]) if counts[0] == counts[1] else f"{counts[0]}-{counts[1]}"


def report(
    found: dict[tuple[str, str], Samples],
    arms: list[Arm],
    paths: tuple[str, ...],
    differences: list[tuple[str, str, str]],
) -> None:
    """Per path: each arm's figures, then each (name, arm a, arm b): a's less b's."""
    print(f"  {'':<24} {'':<9} {'p50':>7} {'p95':>7} {'mean':>7} {'cpu p50':>8} {'queries':>8}")
    for path in paths:
        rows: dict[str, dict[str, float]] = {}
        for number, arm in enumerate(arms):
            samples = found[arm.label, path]
            stats = percentiles(samples.wall)
            stats["cpu"] = statistics.median(samples.cpu)
            rows[arm.label] = stats
            counts = query_counts(arm, path)
            stats["queries"] = counts[0]
            print(f"  {path if number == 0 else '':<24} {arm.label:<9} {stats['p50']:7.2f} "
                  f"{stats['p95']:7.2f} {stats['mean']:7.2f} {stats['cpu']:8.2f} "
                  f"{_queries(counts):>8}")  # fmt: skip
        for name, label_a, label_b in differences:
            first, second = rows[label_a], rows[label_b]
            a, b = found[label_a, path], found[label_b, path]
            rounds = [x - y for x, y in zip(a.round_p50, b.round_p50, strict=True)]
            wall = statistics.median(x - y for x, y in zip(a.wall, b.wall, strict=True))
            cpu = statistics.median(x - y for x, y in zip(a.cpu, b.cpu, strict=True))
            each_round = " ".join(f"{d:+.2f}" for d in rounds)
            print(f"  {'':<24} {name:<9} {first['p50'] - second['p50']:+7.2f} "
                  f"{first['p95'] - second['p95']:+7.2f} {first['mean'] - second['mean']:+7.2f} "
                  f"{first['cpu'] - second['cpu']:+8.2f} "
                  f"{first['queries'] - second['queries']:+8.0f}   paired: wall {wall:+.3f}, "
                  f"CPU {cpu:+.3f}; rounds' p50: {each_round}")  # fmt: skip


@contextmanager
def own_time() -> Iterator[list[float]]:
    """AccessMiddleware's own microseconds per call: from entering it to its return, less
    the time spent in what it calls next (the middleware and view below it)."""
    from identity.middleware import AccessMiddleware

    original = AccessMiddleware.__call__
    own: list[float] = []

    def call(self: AccessMiddleware, request: Any) -> Any:
        inner, below = self.get_response, [0.0]

        def downstream(req: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(req)
            finally:
                below[0] += time.perf_counter() - started

        self.get_response = downstream
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            self.get_response = inner
            own.append((time.perf_counter() - started - below[0]) * 1e6)

    AccessMiddleware.__call__ = call  # type: ignore[method-assign]
    try:
        yield own
    finally:
        AccessMiddleware.__call__ = original  # type: ignore[method-assign]


def _us(values: list[float]) -> str:
    stats = percentiles(values)
    return (f"p50 {stats['p50']:.0f} µs, p95 {stats['p95']:.0f} µs, max {stats['max']:.0f} µs "
            f"(n={len(values)})")  # fmt: skip


def middleware_own_time(arm: Arm, path: str, times: int) -> None:
    """A pass of its own: the wrapper adds two frames, which alone can move a page's time
    (see the module's docstring)."""
    with own_time() as own:
        for _ in range(times):
            timed_get(arm, path)
    print(f"  AccessMiddleware's own time per request (its code, not what it calls; {path}): "
          f"{_us(own)}")  # fmt: skip


def age_seen(client: Client, seconds: float) -> None:
    """Move the session's "last seen" back, so the next request writes it again."""
    from identity import services

    session = client.session
    data = session[services.SESSION_KEY]
    data["seen"] = float(data["seen"]) - seconds
    session[services.SESSION_KEY] = data
    session.save()


def last_seen_write(arm: Arm, path: str, times: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls: list[float] = []
    with own_time() as own:
        for _ in range(times):
            age_seen(arm.client, 120)
            walls.append(timed_get(arm, path)[0])
    age_seen(arm.client, 120)
    with CaptureQueriesContext(connection) as captured:
        arm.client.get(path)
    updates = sum(1 for q in captured.captured_queries if q["sql"].lstrip().startswith("UPDATE"))
    stats = percentiles(walls)
    print(f'  a request that writes "last seen" ({path}, at most once a minute per session): '
          f"p50 {stats['p50']:.2f} ms, p95 {stats['p95']:.2f} ms; middleware's own time "
          f"{_us(own)}; {len(captured.captured_queries)} queries ({updates} UPDATE)")  # fmt: skip


def check_arms(arms: list[Arm], expected: list[int]) -> None:
    """How often each arm's request calls AccessMiddleware: once in the full chain, never
    without it."""
    calls = []
    for arm in arms:
        with own_time() as own:
            timed_get(arm, PAGES[1])
        calls.append(len(own))
    if calls != expected:
        raise SystemExit(f"AccessMiddleware ran {calls} times in {[a.label for a in arms]}: "
                         "the chains are not as meant")  # fmt: skip


def drop_identity_record(client: Client) -> None:
    """The session stays signed in but carries no identity record: AccessMiddleware, still
    in the chain, passes the request straight on (its first test)."""
    from identity import services

    session = client.session
    session.pop(services.SESSION_KEY, None)
    session.save()


# --- the parts ----------------------------------------------------------------------------


def signed_in_client(user: User, middleware: list[str] | None = None) -> Client:
    """A Client signed in as ``user`` (a real login: the session's identity record is made),
    its handler's middleware chain built now, from ``middleware`` if given."""
    from django.test import Client, override_settings

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    with override_settings(MIDDLEWARE=middleware) if middleware else nullcontext():
        client.handler.load_middleware()
    return client


def set_networks(admin: User, vendor_id: int | None, networks: list[str]) -> None:
    from identity import services

    services.organisation_policy_save(actor=admin, vendor_id=vendor_id, networks=networks)


def check_alone(vendor_id: int | None) -> float:
    """µs per ``allows("127.0.0.1")`` with the vendor's rules as they are now."""
    from identity import policy

    rules = policy.for_organisation(vendor_id)
    number = 20_000
    return min(timeit.repeat(lambda: rules.allows("127.0.0.1"), number=number, repeat=3)) / (
        number / 1e6
    )


def pages(args: argparse.Namespace, agent: User, admin: User, vendor_id: int | None) -> Arm:
    from django.conf import settings
    from django.test import override_settings

    without_list = [m for m in settings.MIDDLEWARE if m != ACCESS]
    with_access = Arm("with", signed_in_client(agent))
    # The same chain and frames, the middleware doing nothing: tells its work from the
    # cost of one more frame on the stack (the module's docstring).
    passing = Arm("no-record", signed_in_client(agent))
    drop_identity_record(passing.client)
    without = Arm(
        "without",
        signed_in_client(agent, without_list),
        context=lambda: override_settings(MIDDLEWARE=without_list),
    )
    arms = [with_access, passing, without]
    check_arms(arms, [1, 1, 0])
    warm_up(arms, PAGES, args.warmup)
    gc.collect()
    gc.freeze()  # as helpdesk.wsgi does once a worker is warm

    total = args.rounds * args.per_round
    for title, networks in (("no allow-list", []),
                            (f"{len(RANGES)} allowed ranges, the match last", RANGES)):  # fmt: skip
        set_networks(admin, vendor_id, networks)
        print(f"\n{'1' if not networks else '2'}. AccessMiddleware, {title}: {total} requests "
              f"per page and arm ({args.rounds} rounds of {args.per_round}), wall ms")  # fmt: skip
        print("  added: with - without; checks: with - no-record (its work, same frames); "
              "frame: no-record - without")  # fmt: skip
        found = alternate(arms, PAGES, args.rounds, args.per_round)
        report(found, arms, PAGES, [("added", "with", "without"), ("checks", "with", "no-record"),
                                    ("frame", "no-record", "without")])  # fmt: skip
        middleware_own_time(with_access, PAGES[0], 100)
        print(
            f"  the network check alone (OrganisationRules.allows): {check_alone(vendor_id):.2f} µs"
        )
        if not networks:
            last_seen_write(with_access, PAGES[1], 20)
    set_networks(admin, vendor_id, [])
    return with_access


def api(args: argparse.Namespace, agent: User, session_arm: Arm) -> None:
    from django.test import Client

    from identity import services
    from identity.models import ApiToken

    ApiToken.objects.filter(user=agent, name=TOKEN_NAME).delete()
    _token, key = services.token_create(actor=agent, name=TOKEN_NAME,
                                        scope=ApiToken.Scope.READ, expires_in_days=1)  # fmt: skip
    token = Arm("token", Client(HTTP_HOST=HOST), headers={"Authorization": f"Token {key}"})
    session = Arm("session", session_arm.client)
    arms = [token, session]
    warm_up(arms, (API,), args.warmup)
    total = args.rounds * args.per_round
    print(f"\n3. API GET {API}: {total} calls per arm ({args.rounds} rounds of "
          f"{args.per_round}), wall ms; token less session")  # fmt: skip
    found = alternate(arms, (API,), args.rounds, args.per_round)
    report(found, arms, (API,), [("token-ses", "token", "session")])


def bench_users(agent: User, count: int, kind: str) -> list[User]:
    """``count`` agents of the agent's team, made once, with the demo password."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    prefix = f"{BENCH_USERS}{kind}."
    emails = {f"{prefix}{n}@example.com": n for n in range(count)}
    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    if len(have) < count:
        password = make_password(PASSWORD)
        User.objects.bulk_create([
            User(email=email, full_name=f"Bench Identity {kind} {n}", role="agent",
                 team=agent.team, is_active=True, password=password)
            for email, n in emails.items() if email not in have])  # fmt: skip
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    return [users[email] for email in emails]


def totp_devices(users: list[User]) -> dict[int, Any]:
    """A confirmed authenticator app per person, made once; reset so a code from this
    30-second window is accepted even just after a run."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    confirmed = TOTPDevice.objects.filter(user__in=users, confirmed=True)
    have = set(confirmed.values_list("user_id", flat=True))
    TOTPDevice.objects.bulk_create([TOTPDevice(user=u, name="bench", confirmed=True)
                                    for u in users if u.pk not in have])  # fmt: skip
    devices = TOTPDevice.objects.filter(user__in=users, confirmed=True)
    devices.update(last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None)
    return {d.user_id: d for d in devices}


def current_code(device: Any) -> str:
    from django_otp.oath import totp

    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def timed_post(client: Client, path: str, data: dict[str, str]) -> tuple[float, int, str]:
    """Wall ms, status and Location of one POST."""
    started = time.perf_counter()
    response = client.post(path, data)
    ms = (time.perf_counter() - started) * 1000
    return ms, response.status_code, str(response.get("Location", ""))


T = TypeVar("T")


def counted(queries: dict[str, int], label: str, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, its SQL statements counted under ``label``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = fn(*args)
    queries[label] = len(captured.captured_queries)
    return result


def sign_in(args: argparse.Namespace, agent: User) -> None:
    from django.contrib.auth.hashers import check_password, identify_hasher
    from django.test import Client

    # Two more of each than timed: the first warms up, the second is counted.
    password_only = bench_users(agent, args.sign_ins // 2 + 2, "password")
    with_app = bench_users(agent, args.sign_ins + 2, "totp")
    devices = totp_devices(with_app)
    hasher = identify_hasher(with_app[0].password)
    pbkdf2 = [timeit.timeit(lambda: check_password(PASSWORD, with_app[0].password), number=1)
              * 1000 for _n in range(5)]  # fmt: skip

    def first_step(user: User, expect_verify: bool) -> tuple[Client, float]:
        client = Client(HTTP_HOST=HOST)
        ms, status, location = timed_post(
            client, SIGN_IN, {"username": user.email, "password": PASSWORD}
        )
        if status != 302 or (location == VERIFY) != expect_verify:
            raise SystemExit(f"sign-in as {user.email}: {status} {location}")
        return client, ms

    def second_step(client: Client, user: User) -> tuple[float, bool]:
        ms, status, location = timed_post(client, VERIFY, {"code": current_code(devices[user.pk])})
        return ms, status == 302 and location != SIGN_IN

    queries: dict[str, int] = {}
    plain: list[float] = []
    step_one: list[float] = []
    step_two: list[float] = []
    refused = 0
    for number, user in enumerate(with_app):
        if number == 1:
            client, ms = counted(queries, "step one", first_step, user, True)
            verified_ms, accepted = counted(queries, "verify", second_step, client, user)
        else:
            client, ms = first_step(user, True)
            verified_ms, accepted = second_step(client, user)
        refused += not accepted
        if number >= 2:
            step_one.append(ms)
            if accepted:
                step_two.append(verified_ms)
        if number < len(password_only):
            other = password_only[number]
            if number == 1:
                plain_ms = counted(queries, "password", first_step, other, False)[1]
            else:
                plain_ms = first_step(other, False)[1]
            if number >= 2:
                plain.append(plain_ms)

    iterations = getattr(hasher, "iterations", "?")
    print(f"\n4. Signing in ({len(plain)} people with a password only, {len(step_one)} with an "
          f"authenticator app; each once)")  # fmt: skip
    print(f"  {hasher.algorithm} ({iterations} iterations) alone, one check_password: "
          f"p50 {statistics.median(pbkdf2):.0f} ms: it dominates the first step")  # fmt: skip
    for label, values, count in (
        ("POST sign-in, password only (signed in)", plain, queries.get("password", 0)),
        ("POST sign-in, to the second step", step_one, queries.get("step one", 0)),
        ("POST sign-in/verify, TOTP code", step_two, queries.get("verify", 0)),
    ):
        stats = percentiles(values)
        print(f"  {label:<42} p50 {stats['p50']:7.1f} ms  p95 {stats['p95']:7.1f} ms  "
              f"max {stats['max']:7.1f} ms  n={len(values):<3} queries {count}")  # fmt: skip
    if refused:
        print(f"  codes refused: {refused} of {len(with_app)} (a window turned over?)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="helpdesk_bench_identity")
    parser.add_argument("--tickets", type=int, default=2000, help="seeded once, if fewer")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=30, help="requests per page and arm")
    parser.add_argument("--warmup", type=int, default=10, help="requests per page and arm")
    parser.add_argument("--sign-ins", type=int, default=20, help="second steps timed")
    parser.add_argument("--skip-setup", action="store_true", help="no migrate or seeding")
    args = parser.parse_args()

    env = prepare(args)
    os.environ.update(env)
    import django

    django.setup()
    from accounts.models import User

    agent = User.objects.select_related("team").get(email=AGENT)
    admin = User.objects.get(email=ADMIN)
    vendor_id = agent.team.vendor_id if agent.team else None
    commit = os.popen(f"git -C {BASE_DIR} rev-parse --short HEAD").read().strip()  # noqa: S605
    tickets = sql(env, "SELECT count(*) FROM tickets_ticket")[0][0]
    print(f"{BASE_DIR} at {commit}; {args.database}: {tickets:,} tickets; signed in as {AGENT} "
          f"(vendor {vendor_id}); in-process test Client from 127.0.0.1")  # fmt: skip

    started = time.monotonic()
    try:
        session_arm = pages(args, agent, admin, vendor_id)
        api(args, agent, session_arm)
        sign_in(args, agent)
    finally:
        set_networks(admin, vendor_id, [])
    print(f"\n(ran {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
