import '../src/setup';
import * as fs from 'fs';
import { bpfsim } from '../src';
import { ProgLoadError } from '@bpfsim/kernel';
import { verify as verifierVerify } from '@bpfsim/verifier';
import { parseObject, Kernel } from '@bpfsim/kernel';
import { BpfProgType } from '@bpfsim/uapi';
import { failureOf, scenarioFile } from './paths';

const unchecked = scenarioFile('verifier-rejection', 'unchecked_packet.bpf.o');
const checked = scenarioFile('verifier-rejection', 'checked_packet.bpf.o');

describe('toBeAccepted / toBeRejectedWith', () => {
  test('a path, a verdict, bytes: the checked program is accepted, the unchecked one rejected', () => {
    expect(checked).toBeAccepted();
    expect(bpfsim.verify(checked)).toBeAccepted();
    expect(new Uint8Array(fs.readFileSync(checked))).toBeAccepted();
    expect(unchecked).not.toBeAccepted();
    expect(unchecked).toBeRejectedWith('R1 offset is outside of the packet');
    expect(unchecked).toBeRejectedWith(/^R\d offset is outside/);
    expect(unchecked).toBeRejectedWith('EACCES');
    expect(checked).not.toBeRejectedWith('outside of the packet');
  });

  test('a function that loads: a ProgLoadError is the rejection, a return the acceptance', () => {
    const k = bpfsim.kernel({ seed: 1 });
    expect(() => k.load(unchecked)).toBeRejectedWith('outside of the packet');
    expect(() => k.load(checked)).toBeAccepted();
    let err: unknown;
    try {
      k.load(unchecked);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProgLoadError);
    expect(err).toBeRejectedWith('outside of the packet');
    // the rejection caught from k.load still knows its file and C line
    expect(failureOf(() => expect(() => k.load(unchecked)).toBeAccepted())).toMatch(/unchecked_packet\.bpf\.o: program xdp_drop_ipv6 was rejected[^]*at instruction 1: unchecked_packet\.bpf\.c:16/);
  });

  test("@bpfsim/verifier's own result is read as well", () => {
    const obj = parseObject(new Uint8Array(fs.readFileSync(unchecked)), unchecked, new Kernel());
    const r = verifierVerify(obj.programs[0].insns, { progType: BpfProgType.XDP, logLevel: 1 });
    expect(r).toBeRejectedWith('outside of the packet');
  });

  test('a rejection message names the errno, the failing instruction with its C line, and the log', () => {
    const msg = failureOf(() => expect(unchecked).toBeAccepted());
    expect(msg).toMatch(/program xdp_drop_ipv6 was rejected: EACCES: R1 offset is outside of the packet/);
    // the failing read is the h_proto comparison on line 16 of the C source
    expect(msg).toMatch(/at instruction 1: unchecked_packet\.bpf\.c:16 {2}if \(eth->h_proto == bpf_htons\(ETH_P_IPV6\)\)/);
    expect(msg).toMatch(/why: The program reads or writes packet bytes/);
    expect(msg).toMatch(/verifier log/);
    expect(msg).toMatch(/\| R1 offset is outside of the packet/);
  });

  test('a wrong text says what the rejection was', () => {
    const msg = failureOf(() => expect(unchecked).toBeRejectedWith('invalid mem access'));
    expect(msg).toMatch(/does not match "invalid mem access"/);
    expect(msg).toMatch(/EACCES: R1 offset is outside of the packet/);
    expect(failureOf(() => expect(checked).toBeRejectedWith('anything'))).toMatch(/was accepted; expected a rejection matching "anything"/);
    expect(failureOf(() => expect(checked).not.toBeAccepted())).toMatch(/was accepted; expected a rejection/);
  });

  test('a subject it cannot read is a clear failure', () => {
    expect(failureOf(() => expect(42).toBeAccepted())).toMatch(/received number; this matcher takes a path or the bytes of an object file/);
  });
});
