export * from './errors';
export * as op from './opcodes';
export * from './opcodes';
