/**
 * Listeners kept in an array that is replaced on every change and never changed in
 * place. A dispatch walks the array it started with, so a listener added or removed
 * by another listener takes effect from the next dispatch, as with a copy of a set,
 * but no copy is made per dispatch: notifications arrive by the tens of thousands.
 */
export class ListenerList<F> {
  private current: readonly F[] = [];

  /** The listeners now, in the order they were added: iterate it, do not keep it. */
  get all(): readonly F[] {
    return this.current;
  }

  /** Adds `listener` unless it is already there; returns what removes it. */
  add(listener: F): () => void {
    if (!this.current.includes(listener)) this.current = [...this.current, listener];
    return () => this.remove(listener);
  }

  remove(listener: F): void {
    if (this.current.includes(listener)) this.current = this.current.filter((one) => one !== listener);
  }
}
