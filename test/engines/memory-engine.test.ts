import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/ports.js';
import { createMemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { describeEngineContract } from './contract.js';

describeEngineContract('memory', {
  create: async ({ retention }) => createMemoryEngine({ retention, clock: systemClock }),
});

describe('memory engine retention', () => {
  it('still replays from the newest event retention dropped, without a gap', async () => {
    const engine = createMemoryEngine({ retention: 3, clock: systemClock });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [e] = await engine.store.commit({
        expect: [],
        put: [],
        del: [],
        events: [{ type: 'CUSTOM', rooms: ['r'], payload: { kind: 'custom', data: i } }],
        timestamp: new Date().toISOString(),
        source: null,
      });
      ids.push(e!.id);
    }
    expect((await engine.log.readAfter(ids[1]!, 10)).map((e) => e.id)).toEqual(ids.slice(2));
    await expect(engine.log.readAfter(ids[0]!, 10)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
  });
});
