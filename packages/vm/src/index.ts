export * from './api';
export * from './errors';
export { AddressSpace, MappedRegion } from './memory/address-space';
export { STACK_FRAME_SIZE } from './memory/layout';
export { PreparedProgram } from './prepare';
export { MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, MAY_GOTO_BUDGET } from './machine';
export { DEFAULT_MAX_INSNS, Vm, prepare, run, type PrepareOptions } from './vm';
