import type { EventPayloads, EventType } from '../../src/protocol/session-events.js';

type DeltaType = 'agent_message_delta' | 'command_output_delta';
type Append = <T extends EventType>(type: T, payload: EventPayloads[T]) => void;

/** How long pieces of one streaming item are gathered into one event after the first was sent. */
export const DELTA_WINDOW_MS = 50;
/** A gathered piece is sent once it holds this much text, window or not. */
const MAX_PIECE = 64 * 1024;

function isDelta(type: EventType): type is DeltaType {
  return type === 'agent_message_delta' || type === 'command_output_delta';
}

/**
 * Coalesces streamed text so the log does not get a row per piece: the first piece of a burst becomes an
 * event at once (a subscriber sees text as it comes); the pieces that follow within the window are joined
 * and sent when it closes, so a steady stream costs at most one event per window. Only consecutive pieces
 * of the same item are joined, and any other event sends what is gathered first, so the order of the log
 * is the order things happened, and the pieces of an item read in seq order are its text.
 */
export class DeltaCoalescer {
  private held: { type: DeltaType; item_id: string; text: string } | undefined;
  private window: NodeJS.Timeout | undefined;

  constructor(
    private readonly append: Append,
    private readonly windowMs = DELTA_WINDOW_MS,
  ) {}

  event<T extends EventType>(type: T, payload: EventPayloads[T]): void {
    if (!isDelta(type)) {
      this.close();
      this.append(type, payload);
      return;
    }
    const { item_id, text } = payload as EventPayloads[DeltaType];
    if (this.held !== undefined && (this.held.type !== type || this.held.item_id !== item_id)) this.flush();
    if (this.window === undefined) {
      this.append(type, payload);
      this.openWindow();
      return;
    }
    if (this.held === undefined) this.held = { type, item_id, text };
    else this.held.text += text;
    if (this.held.text.length >= MAX_PIECE) this.flush();
  }

  /** Sends what is gathered and ends the window (the next piece goes out at once). */
  close(): void {
    clearTimeout(this.window);
    this.window = undefined;
    this.flush();
  }

  private flush(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.append(held.type, { item_id: held.item_id, text: held.text });
  }

  private openWindow(): void {
    this.window = setTimeout(() => {
      this.window = undefined;
      // Text kept coming: send it and keep gathering; a quiet window ends the burst.
      if (this.held !== undefined) {
        this.flush();
        this.openWindow();
      }
    }, this.windowMs);
  }
}
