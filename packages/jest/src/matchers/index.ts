/** Every matcher of @bpfsim/jest, as `expect.extend` takes them. */
import { toBeAccepted, toBeRejectedWith } from './verdict';
import { toReturn } from './return';
import { toHaveMapEntry } from './map';
import { toHaveEmitted, toHavePrintedLine } from './output';
import { toMatchTrace } from './trace';

export const matchers = { toBeAccepted, toBeRejectedWith, toReturn, toHaveMapEntry, toHavePrintedLine, toHaveEmitted, toMatchTrace };
export type { EmittedOptions } from './output';
