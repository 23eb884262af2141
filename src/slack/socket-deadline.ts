/**
 * Socket Mode's answer deadline. The HTTP receiver (receiver.ts) gives each request one from its receipt: what a
 * lookup while Slack waits may still take (answerWaitMs), and after which no permission check allows work. Socket
 * Mode has no receiver of ours, so this first middleware sets it, from when the envelope reached the bot; Slack's
 * 3-second rule is the same over the socket.
 */
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { withAnswerDeadline } from '../services/access/answer-deadline.js';

export function socketAnswerDeadline(budgetMs: number, now: () => number = Date.now): Middleware<AnyMiddlewareArgs> {
  return ({ next }) => withAnswerDeadline(now() + budgetMs, () => next());
}
