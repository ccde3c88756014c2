/**
 * The usage protocol the receiver speaks is the project's one wire contract, src/protocol/usage.ts: the
 * senders import the same module, so the two sides cannot drift apart.
 */
export * from '../../src/protocol/usage.ts';
