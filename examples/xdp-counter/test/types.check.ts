// For TypeScript users: the matchers are typed once tsconfig.json lists
// "@bpfsim/jest/setup" in "types" (`npm run typecheck` checks this file).
import { bpfsim, XDP_DROP } from '@bpfsim/jest';
import { eth } from '@bpfsim/packet';

test('typed', () => {
  const obj = bpfsim.kernel({ seed: 1 }).load('xdp_counter.bpf.o');
  const ping = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp().build();
  expect(obj.run('xdp_counter', { data: ping })).not.toReturn(XDP_DROP);
  expect(obj.map('counters')).toHaveMapEntry(1, 1);
  expect('xdp_counter.bpf.o').toBeAccepted();
  // @ts-expect-error a misspelt matcher is a type error
  expect(obj.map('counters')).toHaveMapEntryy(1, 1);
});
