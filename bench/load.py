"""A bounded load generator: CONCURRENCY keep-alive connections on loopback, each sending its next request when the
previous answer is read, for DURATION seconds after a warm-up. Prints requests per second and latencies as JSON.

    python bench/load.py URL TOKEN
"""

import http.client
import json
import os
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
WARMUP = 2.0


def worker(url, token: str, until: float, warm_until: float, latencies: list, errors: list) -> None:
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1", "Connection": "keep-alive"}
    while (now := time.perf_counter()) < until:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except (OSError, http.client.HTTPException) as error:
            errors.append(str(error))
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            continue
        if now >= warm_until:
            latencies.append(time.perf_counter() - now)
    conn.close()


def wait_for(url) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing answers on {url.netloc}")


def main() -> None:
    url, token = urlsplit(sys.argv[1]), sys.argv[2]
    wait_for(url)
    started = time.perf_counter()
    warm_until, until = started + WARMUP, started + WARMUP + DURATION
    latencies: list[float] = []
    errors: list = []
    threads = [
        threading.Thread(target=worker, args=(url, token, until, warm_until, latencies, errors))
        for _ in range(CONCURRENCY)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "rps": len(latencies) / DURATION,
                "requests": len(latencies),
                "errors": len(errors),
                "median_ms": statistics.median(latencies) * 1000 if latencies else None,
                "concurrency": CONCURRENCY,
                "seconds": DURATION,
            }
        )
    )


if __name__ == "__main__":
    main()
