#!/usr/bin/env python3
# tests/e2e/evlistener.py — an event listener written as superlance's are (crashmail, memmon):
# supervisor.childutils' wait / ok / fail on stdin/stdout. It appends one line per event it
# receives to the file RECORD: "EVENTNAME serial:N poolserial:N pool:P len:N | PAYLOAD" (newlines
# in the payload written as \n).
#   MODE ok        answer OK to everything
#   MODE failonce  answer FAIL the first time each serial is seen, OK the second time
#   MODE hang      record the first event, then never answer (the pool's buffer fills)
import sys
import time

from supervisor import childutils


def main():
    record, mode = sys.argv[1], sys.argv[2]
    seen = set()
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        line = payload.replace('\\', '\\\\').replace('\n', '\\n')
        with open(record, 'a') as f:
            f.write('%s serial:%s poolserial:%s pool:%s len:%s | %s\n' % (
                headers['eventname'], headers['serial'], headers['poolserial'], headers['pool'],
                headers['len'], line))
        if headers['eventname'] == 'PROCESS_STATE_EXITED':
            # what crashmail does with it
            pheaders, pdata = childutils.eventdata(payload + '\n')
            sys.stderr.write('crash: %s:%s expected=%s pid=%s\n' % (
                pheaders['groupname'], pheaders['processname'], pheaders['expected'], pheaders['pid']))
            sys.stderr.flush()
        if mode == 'hang':
            while True:
                time.sleep(60)
        if mode == 'failonce' and headers['serial'] not in seen:
            seen.add(headers['serial'])
            childutils.listener.fail(sys.stdout)
            continue
        childutils.listener.ok(sys.stdout)


if __name__ == '__main__':
    main()
