// FreeBSD amd64 struct codecs for the multicast routing API (see multicast(4)).
export * from './constants.js';
export * from './scalars.js';
export * from './vif.js';
export * from './mfc.js';
export * from './mroute6.js';
export * from './bw.js';
export * from './upcall.js';
export { asBuffer } from './util.js';
