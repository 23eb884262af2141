/**
 * One Bolt listener for several ids. Bolt runs the matchers of every registered listener on every request from Slack
 * (about 20 µs each here, measured with App.processEvent), so the bot registers one listener per kind of request
 * (commands, modal submissions, block actions) and picks the handler by id itself.
 */
export function exactly(ids: readonly string[]): RegExp {
  const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(?:${escaped.join('|')})$`);
}
