export * from './errors';
export * from './opcodes';
export * from './enums';
export * from './errno';
