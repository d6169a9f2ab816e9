/**
 * Theory of operation: the randomness the protocol needs (a new client's
 * secret) is drawn here, in the shell, and enters the core inside an input.
 * Tests and the simulator pass a seeded source so runs reproduce.
 */
import { randomBytes } from 'node:crypto';

export interface Entropy {
  /** A fresh client secret: at least 128 random bits, printable. */
  secret(): string;
}

/** Secrets from the operating system's CSPRNG (32 bytes, base64url). */
export const cryptoEntropy: Entropy = {
  secret: () => randomBytes(32).toString('base64url'),
};

/** A deterministic source for tests and simulation (xorshift128+ seeded by `seed`). NOT for production. */
export function seededEntropy(seed: number): Entropy {
  let s0 = (seed >>> 0) ^ 0x9e3779b9;
  let s1 = Math.imul(seed >>> 0, 0x85ebca6b) ^ 0xc2b2ae35;
  const next = (): number => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x;
    return (s0 + s1) >>> 0;
  };
  return {
    secret: () => {
      let out = '';
      for (let i = 0; i < 4; i++) out += next().toString(16).padStart(8, '0');
      return out;
    },
  };
}
