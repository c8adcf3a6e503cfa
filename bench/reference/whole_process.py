"""Times whole processes for `bench/run.sh process`: runs a command --reps times, each from its start to its exit, and
prints one JSON object {"framework", "metrics": {"process_wall_s": [...], "process_peak_rss_mb": [...]}}. The peak
resident set is the kernel's ru_maxrss of the child (getrusage of the children, which wait4 fills in as each exits):
the largest one so far, so each repetition runs in a fresh Python child that runs the command and reports its own.

Usage: whole_process.py --framework NAME --metric-prefix PREFIX --reps N -- COMMAND ARGS...
"""
import argparse
import json
import resource
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", required=True)
    parser.add_argument("--metric-prefix", default="process")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--one", action="store_true", help="run the command once and print wall seconds and peak MB")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    a = parser.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if a.one:
        start = time.perf_counter()
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if completed.returncode != 0:
            sys.exit(f"{' '.join(command)} exited with {completed.returncode}: {completed.stderr.strip()[-500:]}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps({"wall": wall, "peak_mb": peak_kb / 1024}))
        return
    walls, peaks = [], []
    for _ in range(a.reps):
        result = subprocess.run([sys.executable, __file__, "--framework", a.framework, "--one", "--", *command],
                                stdout=subprocess.PIPE, text=True, check=True)
        one = json.loads(result.stdout.strip().splitlines()[-1])
        walls.append(round(one["wall"], 3))
        peaks.append(round(one["peak_mb"], 1))
    print(json.dumps({"framework": a.framework, "metrics": {f"{a.metric_prefix}_wall_s": walls, f"{a.metric_prefix}_peak_rss_mb": peaks}}))


if __name__ == "__main__":
    main()
