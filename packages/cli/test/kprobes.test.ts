/** `bpfsim kprobes`: the modelled kernel functions with their BTF prototypes and the syscalls reaching them; graphs; JSON; no match. */
import { KFUNCS } from '@bpfsim/kernel';
import { cli } from './helpers';

describe('bpfsim kprobes', () => {
  test('lists modelled functions by glob with their prototypes and callers', async () => {
    const r = await cli('kprobes', 'vfs_*');
    expect(r.code).toBe(0);
    expect(r.out).toContain('int vfs_open(const struct path *path, struct file *file)\n    reached by: creat open openat');
    expect(r.out).toContain('ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)\n    reached by: pread64 read');
    expect(r.out).not.toContain('do_sys_openat2');
    const all = await cli('kprobes', '--json');
    const rows = all.out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; proto: string; reachedBy: string[] });
    expect(rows.length).toBeGreaterThan(Object.keys(KFUNCS).length + 100);
    expect(rows.find((x) => x.name === '__x64_sys_openat')).toEqual({ name: '__x64_sys_openat', proto: 'long int __x64_sys_openat(const struct pt_regs *regs)', reachedBy: ['openat'] });
    expect(rows.find((x) => x.name === 'tcp_v4_connect')!.proto).toBe(KFUNCS.tcp_v4_connect.proto);
  });

  test('--graph prints a syscall family\'s call graph; no match fails', async () => {
    const g = await cli('kprobes', 'openat', '--graph');
    expect(g.code).toBe(0);
    expect(g.out.trimEnd().split('\n')).toEqual([
      'openat:', '  __x64_sys_<name>', '    do_sys_openat2', '      getname_flags', '      do_filp_open', '        path_openat',
      '          security_inode_create   [O_CREAT and the name is new: may_o_create]', '          vfs_open', '            security_file_open',
    ]);
    const none = await cli('kprobes', 'no_such_fn');
    expect(none.code).not.toBe(0);
    expect(none.err).toContain("no modelled kernel function matches 'no_such_fn'");
  });
});
