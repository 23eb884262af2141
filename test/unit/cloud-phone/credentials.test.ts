import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type CredentialProvider,
  CredentialsUnavailableError,
  createCredentialSource,
  maskAccessKeyId,
} from '../../../src/cloud-phone/credentials.js';
import { ConfigError } from '../../../src/errors.js';

const ID = 'LTAI5tExampleKeyId';
const SECRET = 'sUpErSeCrEtVaLuE123';
const TOKEN = 'CAIS-very-secret-sts-token';

function everyRendering(value: unknown): string {
  return [
    String(value),
    `${value}`,
    JSON.stringify(value),
    JSON.stringify({ value }),
    inspect(value, { depth: 10 }),
  ].join('\n');
}

describe('createCredentialSource with explicit keys', () => {
  it('returns the keys as given, without a token', async () => {
    const source = createCredentialSource({ accessKeyId: ID, accessKeySecret: SECRET });
    expect(source.kind).toBe('static');
    const creds = await source.get();
    expect(creds.accessKeyId).toBe(ID);
    expect(creds.accessKeySecret).toBe(SECRET);
    expect(creds.securityToken).toBeUndefined();
  });

  it('carries an STS token', async () => {
    const source = createCredentialSource({ accessKeyId: ID, accessKeySecret: SECRET, securityToken: TOKEN });
    expect(source.kind).toBe('static-sts');
    expect((await source.get()).securityToken).toBe(TOKEN);
  });

  it('never reveals the secret or token through String, JSON or inspect', async () => {
    const source = createCredentialSource({ accessKeyId: ID, accessKeySecret: SECRET, securityToken: TOKEN });
    const creds = await source.get();
    for (const rendering of [everyRendering(source), everyRendering(creds), everyRendering({ ...creds })]) {
      expect(rendering).not.toContain(SECRET);
      expect(rendering).not.toContain(TOKEN);
      expect(rendering).not.toContain(ID);
    }
    expect(String(creds)).toContain(maskAccessKeyId(ID));
    expect(Object.keys(creds)).toEqual([]);
  });

  it('refuses half-given keys', () => {
    expect(() => createCredentialSource({ accessKeyId: ID })).toThrow(ConfigError);
    expect(() => createCredentialSource({ accessKeySecret: SECRET })).toThrow(ConfigError);
    expect(() => createCredentialSource({ securityToken: TOKEN })).toThrow(ConfigError);
    try {
      createCredentialSource({ accessKeyId: ID });
    } catch (error) {
      expect(String(error)).not.toContain(ID);
    }
  });

  it('treats blank values as absent and does not load the default chain for explicit keys', async () => {
    let loads = 0;
    const source = createCredentialSource({
      accessKeyId: ` ${ID} `,
      accessKeySecret: SECRET,
      securityToken: '',
      loadDefaultChain: async () => {
        loads++;
        throw new Error('unused');
      },
    });
    const creds = await source.get();
    expect(creds.accessKeyId).toBe(ID);
    expect(creds.securityToken).toBeUndefined();
    expect(loads).toBe(0);
  });
});

describe('createCredentialSource with the default chain', () => {
  function fakeChain(results: Array<Awaited<ReturnType<CredentialProvider['getCredential']>> | Error>) {
    const state = { loads: 0, calls: 0 };
    const loadDefaultChain = async (): Promise<CredentialProvider> => {
      state.loads++;
      return {
        async getCredential() {
          const next = results[Math.min(state.calls++, results.length - 1)];
          if (next instanceof Error) throw next;
          return next ?? {};
        },
      };
    };
    return { state, loadDefaultChain };
  }

  it('loads the chain lazily, once, and asks it on every get (so it can refresh)', async () => {
    const chain = fakeChain([
      { accessKeyId: 'STS.one', accessKeySecret: 's1', securityToken: 't1' },
      { accessKeyId: 'STS.two', accessKeySecret: 's2', securityToken: 't2' },
    ]);
    const source = createCredentialSource({ loadDefaultChain: chain.loadDefaultChain });
    expect(source.kind).toBe('default-chain');
    expect(chain.state.loads).toBe(0);
    expect((await source.get()).accessKeyId).toBe('STS.one');
    const second = await source.get();
    expect(second.accessKeyId).toBe('STS.two');
    expect(second.securityToken).toBe('t2');
    expect(chain.state.loads).toBe(1);
    expect(everyRendering(second)).not.toContain('s2');
  });

  it('reports a failing chain as CredentialsUnavailableError', async () => {
    const chain = fakeChain([new Error('unable to get credentials from any of the providers in the chain')]);
    const source = createCredentialSource({ loadDefaultChain: chain.loadDefaultChain });
    await expect(source.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    await expect(source.get()).rejects.toThrow(/providers in the chain/);
  });

  it('rejects incomplete credentials from the chain', async () => {
    const chain = fakeChain([{ accessKeyId: 'id-only' }]);
    const source = createCredentialSource({ loadDefaultChain: chain.loadDefaultChain });
    await expect(source.get()).rejects.toThrow(/incomplete/);
  });

  it('retries loading after a failed load', async () => {
    let attempts = 0;
    const source = createCredentialSource({
      loadDefaultChain: async () => {
        attempts++;
        if (attempts === 1) throw new Error('transient');
        return { getCredential: async () => ({ accessKeyId: 'id', accessKeySecret: 'secret' }) };
      },
    });
    await expect(source.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    expect((await source.get()).accessKeyId).toBe('id');
    expect(attempts).toBe(2);
  });
});

describe('maskAccessKeyId', () => {
  it('keeps only a prefix and suffix', () => {
    expect(maskAccessKeyId('LTAI5tExampleKeyId')).toBe('LTAI****Id');
    expect(maskAccessKeyId('short')).toBe('****');
  });
});
