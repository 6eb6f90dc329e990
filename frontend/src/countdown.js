// A countdown in whole seconds, for "try again in 3 s" and "the batch continues in 3 s".

/**
 * Calls tick(seconds left) now and each time a whole second passes, then done() when none is left. Each step is
 * timed from the end, not counted, so a late timer (a busy or background tab) does not stretch the wait.
 * @param {number} seconds
 * @param {{tick: (remaining: number) => void, done: () => void}} callbacks
 * @returns {() => void} stops it without calling done()
 */
export function countdown(seconds, { tick, done }) {
  const end = Date.now() + seconds * 1000;
  let timer = null;
  const step = () => {
    const left = end - Date.now();
    if (left <= 0) return done();
    tick(Math.ceil(left / 1000));
    timer = setTimeout(step, left % 1000 || 1000);
  };
  step();
  return () => clearTimeout(timer);
}
