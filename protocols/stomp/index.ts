/** STOMP protocol layer: frame codec and session-independent helpers. */
export * from './errors.js';
export * from './frame.js';
export * from './escape.js';
export * from './frame-parser.js';
export * from './frame-writer.js';
export * from './error-frame.js';
export * from './negotiate.js';
export * from './destination.js';
