/**
 * @bpfsim/uapi's constants as plain data properties. Through the package index every re-exported
 * binding is a getter (CommonJS re-exports), and the verifier's inner loop reads opcodes millions of
 * times: one copy at load time makes those reads plain property loads.
 */
import * as uapi from '@bpfsim/uapi';

export const op = { ...uapi };
