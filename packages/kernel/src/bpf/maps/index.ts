/** The bpf map types: `createMap` and the interfaces in map.ts. */
export * from './map';
export { RingbufQuery } from './ringbuf';
export { MapUsageError } from './base';
export { jhash, jhash2, mapHash } from './jhash';
