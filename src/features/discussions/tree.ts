import { MAX_SHOWN_DEPTH } from './schemas.js';

export interface TreeNode {
  id: number;
  replyToPostId: number | null;
  position: number;
}

/**
 * The threaded view's order: each post followed by the replies to it (oldest first), depth
 * first, each with the depth it is drawn at (capped, so a long back-and-forth stays readable).
 * A reply whose post is not in the list is drawn under the thread, where it would be anyway.
 */
export function threadedOrder(nodes: TreeNode[]): { id: number; shownDepth: number }[] {
  const ids = new Set(nodes.map((node) => node.id));
  const children = new Map<number | null, TreeNode[]>();
  for (const node of [...nodes].sort((a, b) => a.position - b.position)) {
    const parent = node.replyToPostId !== null && ids.has(node.replyToPostId) && node.replyToPostId !== node.id ? node.replyToPostId : null;
    const siblings = children.get(parent) ?? [];
    siblings.push(node);
    children.set(parent, siblings);
  }
  const order: { id: number; shownDepth: number }[] = [];
  // An explicit stack: a chain of thousands of replies must not overflow the call stack.
  const stack: { node: TreeNode; depth: number }[] = (children.get(null) ?? []).map((node) => ({ node, depth: 0 })).reverse();
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    order.push({ id: node.id, shownDepth: Math.min(depth, MAX_SHOWN_DEPTH) });
    const replies = children.get(node.id) ?? [];
    for (let index = replies.length - 1; index >= 0; index -= 1) stack.push({ node: replies[index]!, depth: depth + 1 });
  }
  return order;
}
