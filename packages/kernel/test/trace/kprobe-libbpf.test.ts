/**
 * The kprobe tools of these tests judged by libbpf and the real kernel: each fixture is compiled
 * against the profile's vmlinux.h, loaded program by program by the system libbpf into the running
 * kernel (CO-RE relocated by libbpf against the kernel's BTF, then verified), and by bpfsim's
 * Kernel.loadObject (CO-RE relocated by bpfsim's loader, verified by bpfsim): every program must get
 * the kernel's verdict, errno and final error line. fentry/fexit/fmod_ret programs are compared with
 * a kernel without trampolines (KernelOptions.trampolines false), as the reference machine is.
 * Replayed from the kernel tape in `npm test`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Kernel, ProgLoadError, vmlinuxBtf } from '../../src';
import { ORACLE } from '../kit';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { compileBpf, libbpfVerdicts } = require('../../../../tools/oracle/libbpf-verdicts');

const FIXTURES = ['kprobe_fs', 'kprobe_order', 'kprobe_cookie', 'kprobe_fentry'];

describe('kprobe tools: bpfsim vs libbpf + the kernel', () => {
  for (const name of FIXTURES) {
    const src = path.join(__dirname, 'fixtures', `${name}.bpf.c`);
    test(`${name}.bpf.c: every program gets the kernel's verdict, errno and final error line`, () => {
      const built = ORACLE.ok ? compileBpf(src, { vmlinux: true, tag: name }) : { reason: `no bpf(): ${ORACLE.reason}` };
      if (!('obj' in built)) {
        console.log(`${name}: skipped: ${built.reason}`);
        return;
      }
      const kernel = (libbpfVerdicts(built, src, { vmlinux: true }) as string).trim().split('\n').map((l) => {
        const m = /^(\S+) (\d+) ?(.*)$/.exec(l)!;
        return { name: m[1], errno: Number(m[2]), error: m[3] };
      });
      // the kernel accepts every kprobe program; on the reference machine fentry/fexit/fmod_ret are EPERM
      expect(kernel.length).toBeGreaterThan(0);
      expect(kernel.filter((k) => k.errno !== 0).map((k) => `${k.name} ${k.errno}`).sort()).toEqual(
        name === 'kprobe_fentry' ? ['deny 1', 'fentry_read 1', 'fexit_read 1'] : []);
      const bytes = fs.readFileSync(built.obj);
      const got = kernel.map((k) => {
        let sim = { errno: 0, error: '' };
        try {
          new Kernel({ btf: vmlinuxBtf(), trampolines: false }).loadObject(bytes, { file: `${name}.bpf.o`, programs: [k.name] });
        } catch (e) {
          if (!(e instanceof ProgLoadError)) throw e;
          sim = { errno: e.errno, error: e.error };
        }
        return { name: k.name, ...sim };
      });
      expect(got).toEqual(kernel);
      fs.rmSync(built.dir, { recursive: true, force: true });
    });
  }
});
