export { MessageReceived } from './message-received.ts';
export { MessageSent } from './message-sent.ts';
export { MessagesRead } from './messages-read.ts';
export { ThreadStarted } from './thread-started.ts';
export { ThreadTreated } from './thread-treated.ts';
