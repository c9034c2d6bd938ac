"""The deadline surge, end to end (`make surge`, `make surge NODES=1`; docs/DEPLOY.md "Deadline surge test").

On this machine, every process started here and stopped here, whatever happens (try/finally and signal handlers):
PostgreSQL database `csogrants_surge` (created, dropped), Redis database 5 (flushed before and after), an S3 server
(moto_server; its bucket emptied), an SMTP listener (aiosmtpd writing a maildir), the job runner (a Celery worker
with its beat), N gunicorn app nodes in production settings behind nginx (round-robin, passive health checks, no
retry of a POST that reached a node), then locust, headless: every seeded CSO signs in, saves three drafts with an
attachment each and submits before the call's deadline. Mid-surge one node is killed (SIGKILL to its whole process
group) and started again 15 s later. Afterwards `manage.py surge_verify` checks the database, the outbox, the SMTP
maildir and the bucket against the journal of what applicants were told, and a summary (JSON and text) is written
under surge-results/.

Sign-in throttling and the API's rate limits are configured out of the way (SIGNIN_FAILURE_LIMIT, API_RATE_USER,
API_RATE_ANON very high): every simulated applicant comes from 127.0.0.1, so per-address limits would otherwise
measure the throttle, not the application. Only failed sign-ins count and the surge makes none, so the sign-in limit
should never be reached anyway; the summary counts 403s and 429s to show it was not.
"""
import argparse
import json
import mailbox
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = BASE_DIR / "surge-results"
DATABASE = "csogrants_surge"
BUCKET = "csogrants-surge"


def log(message):
    print(f"[surge {datetime.now():%H:%M:%S}] {message}", flush=True)


class Stopped(Exception):
    """The run was interrupted (a signal, or a piece that would not start)."""


def _on_signal(signum, frame):
    raise Stopped(f"stopped by signal {signum}")


def port_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def wait_http(url, timeout, expect=200):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if response.status == expect:
                    return True
        except OSError:
            pass  # not listening yet: ask again
        time.sleep(0.3)
    return False


def static_fresh():
    """Whether staticfiles/ (the manifest that DEBUG=0 needs) is newer than every static source and the installed
    packages, so collectstatic (a minute on a busy machine) can be skipped."""
    manifest = BASE_DIR / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [BASE_DIR / ".venv" / ".installed", *(BASE_DIR / "static").rglob("*"), *BASE_DIR.glob("*/static/**/*")]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0)
    return manifest.stat().st_mtime > newest


def code_version():
    """The commit the app nodes ran, and how many files of the work tree differed from it."""
    def git(*args):
        result = subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "--short", "HEAD"), "files_changed_since": len(changed)}


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a list of numbers, or None."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return round(ordered[int(rank) - 1], 1)


def _busy(times):
    return times.user + times.nice + times.system + times.irq + times.softirq + getattr(times, "steal", 0)


def _total(times):
    return _busy(times) + times.idle + getattr(times, "iowait", 0)


class Surge:
    def __init__(self, options):
        self.o = options
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.dir = RESULTS / f"{stamp}-nodes{options.nodes}"
        self.logs = self.dir / "logs"
        self.processes = {}  # name -> Popen, each the leader of its own process group
        self.node_ports = [options.first_node_port + i for i in range(options.nodes)]
        self.events = []  # (seconds since the surge started, what happened)
        self.t0 = None
        self.cpu = {"samples": [], "ours": {}}
        self.env = self._app_env()

    # ---- environment ---------------------------------------------------------------------------------------------

    def _app_env(self):
        o = self.o
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "EMAIL_", "REDIS_", "CELERY_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),  # a new one every run
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HTTPS": "0",  # plain HTTP behind the local proxy
            "BEHIND_PROXY": "1",  # the proxy's X-Forwarded-For is the client address (audit trail, throttling)
            "DATABASE_URL": f"{o.postgres.rstrip('/')}/{DATABASE}",
            "REDIS_URL": o.redis,
            "STORAGE_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{o.s3_port}",
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "surge",
            "AWS_SECRET_ACCESS_KEY": secrets.token_hex(16),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(o.smtp_port),
            "DEFAULT_FROM_EMAIL": "CSO Grants <no-reply@surge.test>",
            "TRUSTED_PROXIES": "1",  # nginx, the one proxy in front
            # Every applicant comes from 127.0.0.1: keep the per-address limits out of the measurement. Only failed
            # sign-ins count (the surge makes none); the journeys use the pages, not the API, whose per-address and
            # per-user rates are raised all the same in case a page starts calling it.
            "SIGNIN_FAILURE_LIMIT": "1000000",
            "SIGNIN_LOCKOUT_MINUTES": "1",
            "API_RATE_USER": "1000000/min",
            "API_RATE_ANON": "1000000/min",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start(self, name, command, *, env=None, cwd=BASE_DIR):
        out = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(
            [str(c) for c in command], cwd=cwd, env=env or self.env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        out.close()
        self.processes[name] = process
        return process

    def manage(self, *args, timeout=900):
        log("manage.py " + " ".join(args))
        with open(self.logs / "manage.log", "ab") as out:
            result = subprocess.run(
                [str(BIN / "python"), "manage.py", *args], cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, timeout=timeout,
            )
        if result.returncode:
            tail = (self.logs / "manage.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"manage.py {args[0]} failed:\n{tail}")

    def stop(self, name, *, sig=signal.SIGTERM, grace=15):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass  # it had already exited

    # ---- services --------------------------------------------------------------------------------------------------

    def preflight(self):
        o = self.o
        ports = {"proxy": o.proxy_port, "S3 server": o.s3_port, "SMTP listener": o.smtp_port}
        ports.update({f"app node {i + 1}": port for i, port in enumerate(self.node_ports)})
        busy = [f"{what} ({port})" for what, port in ports.items() if not port_free(port)]
        if busy:
            raise RuntimeError("ports in use: " + ", ".join(busy) + "; free them or choose others (surge/run.py --help)")
        if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
            log("nginx is missing: installing Debian's nginx-light")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, env=env, stdout=subprocess.DEVNULL)
        self.nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    def database(self, create):
        import psycopg

        with psycopg.connect(f"{self.o.postgres.rstrip('/')}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            if create:
                connection.execute(f"CREATE DATABASE {DATABASE}")

    def redis_flush(self):
        import redis

        redis.Redis.from_url(self.o.redis).flushdb()

    def s3(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.env["S3_ENDPOINT_URL"], region_name="us-east-1",
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )

    def bucket_empty(self, remove):
        client = self.s3()
        removed = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})
                removed += len(keys)
        if remove:
            client.delete_bucket(Bucket=BUCKET)
        return removed

    def node_command(self, port):
        o = self.o
        return [
            BIN / "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
            "--workers", o.workers, "--threads", o.threads, "--timeout", "90", "--graceful-timeout", "10",
            "--access-logfile", "-", "--error-logfile", "-",
        ]

    def start_node(self, index):
        port = self.node_ports[index]
        self.start(f"node{index + 1}", self.node_command(port))
        if not wait_http(f"http://127.0.0.1:{port}/healthz", 90):
            raise RuntimeError(f"app node {index + 1} did not answer /healthz on port {port}: see {self.logs}/node{index + 1}.log")

    def nginx_conf(self):
        template = (Path(__file__).parent / "nginx.conf.template").read_text()
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.node_ports)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            path = self.dir / "nginx-tmp" / sub
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o777)  # nginx's workers drop root
        (self.dir / "nginx-tmp").chmod(0o777)
        conf = (template.replace("@@RUN_DIR@@", str(self.dir)).replace("@@UPSTREAM_SERVERS@@", servers)
                .replace("@@PROXY_PORT@@", str(self.o.proxy_port)))
        path = self.dir / "nginx.conf"
        path.write_text(conf)
        return path

    # ---- CPU: how busy the machine was, and how much of it was this surge ------------------------------------------

    def _sample_cpu(self, stop):
        import psutil

        last = psutil.cpu_times()
        while not stop.wait(2.0):
            now = psutil.cpu_times()
            span = _total(now) - _total(last)
            if span > 0:
                self.cpu["samples"].append(round(100 * (_busy(now) - _busy(last)) / span, 1))
            last = now
            members = []
            for name, process in list(self.processes.items()):
                try:
                    leader = psutil.Process(process.pid)
                    role = "app nodes" if name.startswith("node") else name
                    members += [(role, p) for p in (leader, *leader.children(recursive=True))]
                except psutil.Error:
                    continue
            # PostgreSQL's backends serving the surge's database are the surge's work too.
            members += [("postgres", p) for p in psutil.process_iter(["cmdline"]) if DATABASE in " ".join(p.info["cmdline"] or ())]
            for role, member in members:
                try:
                    times = member.cpu_times()
                except psutil.Error:
                    continue
                self.cpu["ours"][member.pid] = (role, times.user + times.system)

    # ---- the surge -----------------------------------------------------------------------------------------------

    def mark(self, what):
        at = round(time.monotonic() - self.t0, 1)
        self.events.append((at, what))
        log(f"+{at:.1f} s {what}")

    def run(self):
        o = self.o
        self.dir.mkdir(parents=True)
        self.logs.mkdir()
        log(f"results in {self.dir.relative_to(BASE_DIR)}")
        self.preflight()
        import psutil

        load_before = os.getloadavg()
        self.database(create=True)
        self.redis_flush()

        self.start("s3", [BIN / "moto_server", "-H", "127.0.0.1", "-p", o.s3_port])
        if not wait_port(o.s3_port, 60):
            raise RuntimeError("the S3 server did not start")
        self.s3().create_bucket(Bucket=BUCKET)
        mailbox.Maildir(self.dir / "maildir", create=True)  # with its tmp/new/cur folders, as the listener needs
        self.start("smtp", [BIN / "python", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{o.smtp_port}",
                            "-c", "aiosmtpd.handlers.Mailbox", self.dir / "maildir"])
        if not wait_port(o.smtp_port, 30):
            raise RuntimeError("the SMTP listener did not start")

        self.manage("migrate", "--noinput")
        if static_fresh():
            log("static files already collected and newer than their sources: collectstatic skipped")
        else:
            self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self.start("worker", [BIN / "celery", "-A", "config", "worker", "-B", "-s", self.dir / "celerybeat-schedule",
                              "--concurrency", "2", "--loglevel", "WARNING", "-n", "surge@%h"])
        self.code = code_version()  # what the nodes are about to load
        for index in range(o.nodes):
            self.start_node(index)
        conf = self.nginx_conf()
        subprocess.run([self.nginx, "-t", "-q", "-c", conf, "-e", self.dir / "nginx-error.log"], check=True)
        self.start("proxy", [self.nginx, "-c", conf, "-e", self.dir / "nginx-error.log"])
        proxy = f"http://127.0.0.1:{o.proxy_port}"
        if not wait_http(f"{proxy}/healthz", 30):
            raise RuntimeError("nginx did not answer")
        log(f"{o.nodes} app node(s) on {', '.join(map(str, self.node_ports))} behind nginx on {o.proxy_port}")

        plan_path = self.dir / "plan.json"
        self.manage("surge_seed", "--accounts", str(o.users), "--closes-in", str(o.closes_in), "--out", str(plan_path))
        plan = json.loads(plan_path.read_text())

        spawn_rate = max(o.users / o.spawn_seconds, 0.1)
        locust_env = {
            **self.env, "SURGE_PLAN": str(plan_path), "SURGE_JOURNAL": str(self.dir / "journal.jsonl"),
            "SURGE_STATS": str(self.dir / "locust-stats.json"),
        }
        stop_sampling = threading.Event()
        sampler = threading.Thread(target=self._sample_cpu, args=(stop_sampling,), daemon=True)
        cpu_before = psutil.cpu_times()
        self.t0 = time.monotonic()
        started_at = time.time()
        locust = self.start("locust", [
            BIN / "locust", "-f", BASE_DIR / "surge" / "locustfile.py", "--headless", "--host", proxy,
            "--users", o.users, "--spawn-rate", f"{spawn_rate:.3f}", "--run-time", f"{o.closes_in + 45}s",
            "--stop-timeout", "5", "--csv", self.dir / "locust", "--html", self.dir / "locust.html",
            "--loglevel", "WARNING", "--only-summary",
        ], env=locust_env)
        sampler.start()
        self.mark(f"locust started: {o.users} applicants at {spawn_rate:.2f}/s, the call closes at {plan['closes_at']}")

        killed = restarted = False
        kill = o.kill_at > 0 and o.nodes >= 2
        victim = o.nodes - 1
        while locust.poll() is None:
            elapsed = time.monotonic() - self.t0
            if kill and not killed and elapsed >= o.kill_at:
                process = self.processes.pop(f"node{victim + 1}")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                killed = True
                self.mark(f"node {victim + 1} killed (SIGKILL to gunicorn's master and workers)")
            if killed and not restarted and elapsed >= o.kill_at + o.kill_for:
                restarted = True
                self.mark(f"node {victim + 1} restarting")
                self.start_node(victim)
                self.mark(f"node {victim + 1} answers /healthz again")
            time.sleep(0.2)
        self.mark(f"locust finished (exit {locust.returncode})")
        stop_sampling.set()
        sampler.join()
        cpu_after = psutil.cpu_times()
        surge_seconds = time.time() - started_at
        load_after = os.getloadavg()

        verify_path = self.dir / "verify.json"
        for attempt in range(1, 4):
            try:
                self.manage("surge_verify", "--call-id", str(plan["call_id"]), "--journal", str(self.dir / "journal.jsonl"),
                            "--maildir", str(self.dir / "maildir"), "--wait-outbox", str(o.outbox_wait), "--out", str(verify_path))
                break
            except RuntimeError as exc:
                if verify_path.exists():  # it ran, and found problems: they are in the report
                    log(str(exc).splitlines()[0])
                    break
                if attempt == 3:
                    raise
                log(f"the verifier could not run (attempt {attempt}); trying again in 20 s: {str(exc).splitlines()[-1][:200]}")
                time.sleep(20)
        verification = json.loads(verify_path.read_text())

        summary = self.summarise(plan, verification, surge_seconds, (load_before, load_after), (cpu_before, cpu_after))
        return summary

    # ---- the summary ---------------------------------------------------------------------------------------------

    def nginx_log(self):
        counts, retried, retried_post, failures = Counter(), 0, 0, Counter()
        path = self.dir / "nginx-access.log"
        if not path.exists():
            return {}
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split('"')
            try:
                method, status = line.split()[1], int(parts[2].split()[0])
                upstreams, upstream_statuses = parts[3], parts[5]
            except (IndexError, ValueError):
                continue
            counts[status] += 1
            if "," in upstreams:
                retried += 1
                retried_post += method == "POST"
            if status >= 500:
                failures[f"{method} {status} upstream {upstream_statuses}"] += 1
        return {
            "requests": sum(counts.values()), "by_status": dict(sorted(counts.items())),
            "passed_to_another_node": retried, "of_which_post": retried_post, "errors": dict(failures),
        }

    def summarise(self, plan, verification, surge_seconds, loads, cpu_times):
        o = self.o
        stats = json.loads((self.dir / "locust-stats.json").read_text())
        statuses = {name: Counter({int(k): v for k, v in counts.items()}) for name, counts in stats["statuses"].items()}
        every = sum((c for c in statuses.values()), Counter())
        requests = sum(every.values())
        timeline = stats["timeline"]
        first, last = (timeline[0][0], timeline[-1][0]) if timeline else (0, 0)
        span = max(last - first, 1e-6)
        kinds = {
            "server_errors_5xx": sum(n for s, n in every.items() if s >= 500 and s not in (502, 504)),
            "proxy_502_504": every[502] + every[504],
            "no_answer": every[0],
            "csrf_or_forbidden_403": every[403],
            "throttled_429": every[429],
            "refused_400": every[400],
            "other_4xx": sum(n for s, n in every.items() if 400 <= s < 500 and s not in (400, 403, 429)),
        }
        journal = [json.loads(line) for line in (self.dir / "journal.jsonl").read_text().splitlines() if line.strip()]
        submits = sorted(e["at"] for e in journal if e["event"] == "submitted")
        starts = sorted(e["at"] for e in journal if e["event"] == "start")
        windows = Counter(int((t - first) // 10) for t in submits)
        latency = {}
        if not stats["latencies_ms"].get("submit"):  # the edit page's Submit button submitted directly
            stats["latencies_ms"]["submit"] = stats["latencies_ms"].pop("save and check", [])
        for name in ("sign in", "application form", "save draft", "save and check", "check page", "submit", "receipt"):
            values = stats["latencies_ms"].get(name, [])
            latency[name] = {
                "count": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95), "p99": percentile(values, 99),
                "max": round(max(values), 1) if values else None,
            }
        machine_cpu_seconds = _busy(cpu_times[1]) - _busy(cpu_times[0])
        ours = sum(seconds for _role, seconds in self.cpu["ours"].values())
        by_role = Counter()
        for role, seconds in self.cpu["ours"].values():
            by_role[role] += seconds
        cores = os.cpu_count()
        outcomes = Counter(stats["outcomes"])
        summary = {
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "code": self.code,
            "nodes": o.nodes, "workers_per_node": o.workers, "threads_per_worker": o.threads, "users": o.users,
            "closes_in_seconds": o.closes_in, "spawn_seconds": o.spawn_seconds, "call": plan["call"],
            "arrivals_seconds": round(starts[-1] - starts[0], 1) if starts else None,
            "seed_seconds": plan["seconds"],
            "surge_seconds": round(surge_seconds, 1),
            "requests": requests,
            "throughput_rps": round(requests / span, 1),
            "failures_by_kind": kinds,
            "journeys": dict(outcomes),
            "latency_ms": latency,
            "submissions": {
                "acknowledged": verification.get("acknowledged_submissions"),
                "in_database": verification.get("submitted_in_database"),
                "numbered": verification.get("reference_numbers"),
                "per_second": round(len(submits) / span, 2),
                "first_and_last_seconds": [round(submits[0] - first, 1), round(submits[-1] - first, 1)] if submits else None,
                "peak_per_second_over_10s": round(max(windows.values()) / 10, 2) if windows else 0,
            },
            "emails": {
                "sent_by_worker": verification.get("emails_sent"),
                "received_by_smtp": verification.get("emails_received_by_smtp"),
                "received_twice": verification.get("emails_received_twice"),
                "unsent_after_wait": verification.get("outbox_unsent_after_wait"),
            },
            "uploads": {
                "acknowledged": verification.get("uploads_acknowledged"),
                "attachment_rows": verification.get("attachment_rows"),
                "verified_in_bucket": verification.get("uploads_verified"),
                "rows_not_acknowledged": verification.get("attachment_rows_not_acknowledged"),
                "objects_without_row": verification.get("stored_files_without_row"),
            },
            "retries_by_users": verification.get("retries_by_users"),
            "verifier_problems": verification.get("problems"),
            "events": self.events,
            "proxy": self.nginx_log(),
            "load": {
                "cores": cores,
                "load_average_before": [round(x, 2) for x in loads[0]],
                "load_average_after": [round(x, 2) for x in loads[1]],
                "cpu_busy_percent_mean": round(statistics.mean(self.cpu["samples"]), 1) if self.cpu["samples"] else None,
                "cpu_seconds_machine": round(machine_cpu_seconds, 1),
                "cpu_seconds_surge_processes": round(ours, 1),
                "cpu_seconds_other_processes": round(max(machine_cpu_seconds - ours, 0), 1),
                "cpu_seconds_by_part": {role: round(seconds, 1) for role, seconds in by_role.most_common()},
            },
        }
        summary["passed"] = bool(
            verification.get("ok") and kinds["server_errors_5xx"] == 0 and outcomes.get("submitted", 0) == o.users
        )
        return summary


def text_summary(s, other=None):
    lat = s["latency_ms"]
    k = s["failures_by_kind"]
    sub, mail, up, load = s["submissions"], s["emails"], s["uploads"], s["load"]
    lines = [
        f"Deadline surge: {s['users']} applicants, {s['nodes']} app node(s) x {s['workers_per_node']} gunicorn workers x "
        f"{s['threads_per_worker']} threads, behind nginx; PostgreSQL, Redis, S3 (moto), Celery worker, SMTP (aiosmtpd).",
        f"Call {s['call']} closed {s['closes_in_seconds']} s after seeding; applicants arrived over {s.get('arrivals_seconds')} s "
        f"(spawning planned over {s['spawn_seconds']} s); "
        f"the surge took {s['surge_seconds']} s. Code: {s['code']['commit']} with {s['code']['files_changed_since']} files changed since.",
        f"Machine: {load['cores']} cores, shared. Load average before {load['load_average_before'][0]}, after "
        f"{load['load_average_after'][0]}; CPU busy {load['cpu_busy_percent_mean']}% on average during the surge; "
        f"{load['cpu_seconds_surge_processes']} CPU-s by the surge's processes (locust included), "
        f"{load['cpu_seconds_other_processes']} CPU-s by everything else on the machine.",
        "Surge CPU-s by part: " + ", ".join(f"{role} {seconds}" for role, seconds in load.get("cpu_seconds_by_part", {}).items()),
        "",
        f"Requests: {s['requests']}  throughput {s['throughput_rps']} req/s",
        "Failures by kind: " + ", ".join(f"{name} {n}" for name, n in k.items()),
        "Journeys: " + ", ".join(f"{name} {n}" for name, n in sorted(s["journeys"].items())) +
        f"; presses repeated by users after a 502/no answer: {s['retries_by_users']}",
        "",
        f"{'latency (ms)':<18}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}",
    ]
    for name, v in lat.items():
        if not v["count"]:
            continue
        lines.append(f"{name:<18}{v['count']:>6}{v['p50'] or '-':>9}{v['p95'] or '-':>9}{v['p99'] or '-':>9}{v['max'] or '-':>9}")
    proxy = s.get("proxy") or {}
    lines += [
        "",
        f"Submissions: {sub['acknowledged']} acknowledged, {sub['in_database']} submitted in the database, numbered "
        f"{sub['numbered']}; {sub['per_second']}/s on average, peak {sub['peak_per_second_over_10s']}/s over 10 s; first and "
        f"last at +{(sub.get('first_and_last_seconds') or ['-', '-'])[0]} s and +{(sub.get('first_and_last_seconds') or ['-', '-'])[1]} s.",
        f"E-mails: {mail['sent_by_worker']} sent by the worker, {mail['received_by_smtp']} received by the SMTP server "
        f"({mail['received_twice']} twice), {mail['unsent_after_wait']} still unsent.",
        f"Uploads: {up['acknowledged']} acknowledged, {up['attachment_rows']} attachment rows, {up['verified_in_bucket']} "
        f"verified in the bucket (size and SHA-256); {up['rows_not_acknowledged']} rows whose answer was lost, "
        f"{up['objects_without_row']} objects without a row.",
        f"Proxy: {proxy.get('requests')} requests, by status {proxy.get('by_status')}; {proxy.get('passed_to_another_node')} "
        f"passed to another node ({proxy.get('of_which_post')} POSTs that never reached the first); 5xx: {proxy.get('errors')}",
        "Events: " + "; ".join(f"+{at} s {what}" for at, what in s["events"]),
    ]
    if s["verifier_problems"]:
        lines.append("Verifier problems: " + json.dumps(s["verifier_problems"], indent=1))
    if other:
        lines += ["", f"Compared with the last run on {other['nodes']} node(s) ({other['started']}):",
                  f"{'':<26}{'this run':>12}{'other':>12}"]
        rows = [
            ("requests", s["requests"], other["requests"]),
            ("throughput req/s", s["throughput_rps"], other["throughput_rps"]),
            ("submissions/s", sub["per_second"], other["submissions"]["per_second"]),
            ("server 5xx", k["server_errors_5xx"], other["failures_by_kind"]["server_errors_5xx"]),
            ("proxy 502/504", k["proxy_502_504"], other["failures_by_kind"]["proxy_502_504"]),
            ("CPU-s of the surge", load["cpu_seconds_surge_processes"], other["load"]["cpu_seconds_surge_processes"]),
            ("CPU-s of everything else", load["cpu_seconds_other_processes"], other["load"]["cpu_seconds_other_processes"]),
        ]
        for name in ("save draft", "submit"):
            for q in ("p50", "p95", "p99"):
                rows.append((f"{name} {q} ms", lat[name][q], other["latency_ms"][name][q]))
        lines += [f"{name:<26}{a if a is not None else '-':>12}{b if b is not None else '-':>12}" for name, a, b in rows]
    lines += ["", "RESULT: " + ("PASS" if s["passed"] else "FAIL")]
    return "\n".join(lines)


def main(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=int(env("NODES") or 2))
    parser.add_argument("--users", type=int, default=int(env("USERS") or 500))
    parser.add_argument("--closes-in", type=int, default=int(env("CLOSES_IN") or 600), help="seconds from seeding to the deadline")
    parser.add_argument("--spawn-seconds", type=float, default=float(env("SPAWN_SECONDS") or 360), help="applicants arrive over this time")
    parser.add_argument("--kill-at", type=float, default=float(env("KILL_AT") or 120), help="seconds into the surge; 0: no kill")
    parser.add_argument("--kill-for", type=float, default=15)
    parser.add_argument("--workers", type=int, default=int(env("WORKERS") or 2), help="gunicorn workers per node")
    parser.add_argument("--threads", type=int, default=int(env("THREADS") or 4), help="threads per gunicorn worker")
    parser.add_argument("--outbox-wait", type=float, default=180)
    parser.add_argument("--proxy-port", type=int, default=8100)
    parser.add_argument("--first-node-port", type=int, default=8101)
    parser.add_argument("--s3-port", type=int, default=9000)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--keep", action="store_true", help="leave the database and bucket for inspection (processes still stop)")
    options = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    surge = Surge(options)
    summary, failure = None, None
    try:
        summary = surge.run()
    except (Exception, KeyboardInterrupt, Stopped) as exc:  # noqa: BLE001 - cleaned up below, then reported
        failure = exc
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleaning finish
        cleanup(surge, keep=options.keep)

    if summary is not None:
        latest = RESULTS / f"latest-nodes{options.nodes}-users{options.users}.json"
        others = [p for p in RESULTS.glob(f"latest-nodes*-users{options.users}.json") if p != latest]
        other = json.loads(others[0].read_text()) if others else None
        text = text_summary(summary, other)
        (surge.dir / "summary.json").write_text(json.dumps(summary, indent=1))
        (surge.dir / "summary.txt").write_text(text + "\n")
        latest.write_text(json.dumps(summary, indent=1))
        print("\n" + text)
        print(f"\nWritten: {(surge.dir / 'summary.txt').relative_to(BASE_DIR)} and summary.json")
    if failure is not None:
        log(f"the surge could not run to the end: {failure!r}; logs in {surge.logs}")
        return 2
    return 0 if summary["passed"] else 1


def cleanup(surge, *, keep):
    """Stop every process this run started, empty the bucket, flush Redis db, drop the database; each step on its own."""
    log("cleaning up")
    steps = [("locust", lambda: surge.stop("locust", sig=signal.SIGINT, grace=40)), ("proxy", lambda: surge.stop("proxy", sig=signal.SIGQUIT))]
    steps += [(name, lambda name=name: surge.stop(name)) for name in list(surge.processes) if name.startswith("node")]
    steps += [("worker", lambda: surge.stop("worker", grace=20)), ("smtp", lambda: surge.stop("smtp"))]
    if not keep:
        steps.append(("bucket", lambda: log(f"bucket emptied: {surge.bucket_empty(remove=True)} objects")))
    steps.append(("s3", lambda: surge.stop("s3")))
    if not keep:
        steps += [("redis", surge.redis_flush), ("database", lambda: surge.database(create=False))]
    for name, step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - every other step still runs
            log(f"cleanup of {name}: {exc!r}")
    for name in list(surge.processes):
        surge.stop(name, sig=signal.SIGKILL, grace=5)


if __name__ == "__main__":
    sys.exit(main())
