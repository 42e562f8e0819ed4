/** Every matcher of @bpfsim/jest, as `expect.extend` takes them. */
import { toBeAccepted, toBeRejectedWith } from './verdict';
import { toReturn } from './return';
import { toHaveMapEntry } from './map';
import { toHaveEmitted, toHavePrintedLine } from './output';
import { toMatchTrace } from './trace';
import { toHaveCalledSyscall } from './syscall';
import { toHaveSentPacket, toHaveDropped } from './packet';

export const matchers = { toBeAccepted, toBeRejectedWith, toReturn, toHaveMapEntry, toHavePrintedLine, toHaveEmitted, toMatchTrace, toHaveCalledSyscall, toHaveSentPacket, toHaveDropped };
export type { EmittedOptions } from './output';
export type { SyscallMatch } from './syscall';
export type { PacketMatch } from './packet';
