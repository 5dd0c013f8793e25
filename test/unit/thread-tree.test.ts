import { describe, expect, it } from 'vitest';
import { threadedOrder } from '../../src/features/discussions/tree.js';

const node = (id: number, replyToPostId: number | null, position = id) => ({ id, replyToPostId, position });

describe('threadedOrder', () => {
  it('puts each reply under the post it answers, oldest first, depth first', () => {
    const order = threadedOrder([node(1, null), node(2, null), node(3, 1), node(4, 3), node(5, 1), node(6, 2)]);
    expect(order).toEqual([
      { id: 1, shownDepth: 0 },
      { id: 3, shownDepth: 1 },
      { id: 4, shownDepth: 2 },
      { id: 5, shownDepth: 1 },
      { id: 2, shownDepth: 0 },
      { id: 6, shownDepth: 1 },
    ]);
  });

  it('caps the depth it draws at 5, however deep the chain goes', () => {
    const chain = [node(1, null), ...Array.from({ length: 9 }, (_, index) => node(index + 2, index + 1))];
    expect(threadedOrder(chain).map((entry) => entry.shownDepth)).toEqual([0, 1, 2, 3, 4, 5, 5, 5, 5, 5]);
  });

  it('draws a reply to a post that is not in the list at the top level', () => {
    expect(threadedOrder([node(1, null), node(7, 99)])).toEqual([
      { id: 1, shownDepth: 0 },
      { id: 7, shownDepth: 0 },
    ]);
  });

  it('orders by position, not by the order given', () => {
    expect(threadedOrder([node(3, 1, 3), node(1, null, 1), node(2, 1, 2)]).map((entry) => entry.id)).toEqual([1, 2, 3]);
  });

  it('walks a chain of 50,000 replies without overflowing the stack', () => {
    const chain = [node(1, null), ...Array.from({ length: 50_000 }, (_, index) => node(index + 2, index + 1))];
    expect(threadedOrder(chain)).toHaveLength(50_001);
  });
});
