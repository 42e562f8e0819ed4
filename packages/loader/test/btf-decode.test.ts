import * as fs from 'fs';
import * as path from 'path';
import { loadObject, decodeBtfValue, findBtfType } from '@bpfsim/loader';

const obj = (name: string) => {
  const file = path.resolve(__dirname, '../../../corpus', name);
  return loadObject(new Uint8Array(fs.readFileSync(file)), { file });
};

describe('decoding bytes as BTF types', () => {
  const o = obj('core_task.bpf.o');
  const btf = o.btf!;
  const taskInfo = findBtfType(btf, 'struct task_info')!;

  test('finds types by C spelling', () => {
    expect(taskInfo).toBeGreaterThan(0);
    expect(o.maps.find((m) => m.name === 'last_task')?.btfValueTypeId).toBe(taskInfo);
    expect(findBtfType(btf, 'struct nope')).toBeUndefined();
    expect(findBtfType(btf, 'struct task-info')).toBeUndefined();
  });

  test('a struct decodes to its members: signed and unsigned integers, char arrays as text up to the NUL', () => {
    const bytes = new Uint8Array(96);
    const dv = new DataView(bytes.buffer);
    dv.setInt32(0, -7, true); // pid
    dv.setInt32(4, 4242, true); // tgid
    dv.setUint32(12, 0xffffffff, true); // uid
    dv.setBigUint64(16, 2n ** 60n, true); // start_time
    bytes.set(new TextEncoder().encode('bash'), 24); // comm
    bytes.set(new TextEncoder().encode('systemd'), 40); // parent_comm
    expect(decodeBtfValue(btf, taskInfo, bytes)).toMatchObject({
      pid: -7, tgid: 4242, ppid: 0, uid: 0xffffffff, start_time: 2n ** 60n, comm: 'bash', parent_comm: 'systemd',
    });
  });

  test('a record shorter than the type is an error naming both sizes', () => {
    expect(() => decodeBtfValue(btf, taskInfo, new Uint8Array(8), 'x.o')).toThrow(/struct task_info needs \d+ bytes, the record has 8/);
  });
});
