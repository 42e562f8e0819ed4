#!/usr/bin/env python3
"""The real kernel's FIB as a judge for bpfsim's routing (bpfsim's own tool).

Reads one question (JSON) on stdin: {"devices": [{"name", "addrs": ["A/P", ...]}],
"routes": ["ip route arguments", ...], "queries": ["A.B.C.D", ...]}. Builds a
throw-away network namespace bpfsim-route-<pid> with lo up and, per device, a veth
pair (the device and an unconfigured peer "p<name>", both up), adds the addresses and
routes, and answers (JSON on stdout) `ip -j route get` for each query: the route's
type, device, gateway and source, or the error errno. Never touches the machine's
own interfaces; the namespace is removed, also on failure (and left-overs of dead
runs are swept first).
"""
import json, os, subprocess, sys

PREFIX = 'bpfsim-route-'
ERRNO = {'Network is unreachable': 'ENETUNREACH', 'No route to host': 'EHOSTUNREACH', 'Invalid argument': 'EINVAL', 'Permission denied': 'EACCES'}


def run(*cmd, check=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[:2000]}")
    return p


def sweep():
    out = run('ip', '-j', 'netns', 'list', check=False).stdout or '[]'
    try:
        names = [n['name'] for n in json.loads(out)]
    except ValueError:
        names = []
    for n in names:
        pid = n[len(PREFIX):]
        if n.startswith(PREFIX) and (not pid.isdigit() or not os.path.exists(f'/proc/{pid}')):
            run('ip', 'netns', 'del', n, check=False)


def main():
    q = json.load(sys.stdin)
    sweep()
    ns = f'{PREFIX}{os.getpid()}'
    run('ip', 'netns', 'add', ns)
    try:
        ex = ['ip', 'netns', 'exec', ns]
        run(*ex, 'ip', 'link', 'set', 'lo', 'up')
        for d in q['devices']:
            run(*ex, 'ip', 'link', 'add', d['name'], 'type', 'veth', 'peer', 'name', 'p' + d['name'])
            run(*ex, 'ip', 'link', 'set', 'p' + d['name'], 'up')
            run(*ex, 'ip', 'link', 'set', d['name'], 'up')
            for a in d['addrs']:
                run(*ex, 'ip', 'addr', 'add', a, 'dev', d['name'])
        route_errors = []
        for r in q['routes']:
            p = run(*ex, 'ip', 'route', 'add', *r.split(), check=False)
            route_errors.append(p.stderr.strip().split(': ')[-1] if p.returncode else '')
        answers = []
        for a in q['queries']:
            p = run(*ex, 'ip', '-j', 'route', 'get', a, check=False)
            if p.returncode != 0:
                msg = p.stderr.strip().split(': ')[-1]
                answers.append({'error': ERRNO.get(msg, msg)})
                continue
            r = json.loads(p.stdout)[0]
            answers.append({'type': r.get('type', 'unicast'), 'dev': r.get('dev'), 'gateway': r.get('gateway'), 'prefsrc': r.get('prefsrc')})
        json.dump({'routeErrors': route_errors, 'answers': answers}, sys.stdout)
    finally:
        run('ip', 'netns', 'del', ns, check=False)


if __name__ == '__main__':
    main()
