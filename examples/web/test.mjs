// Drives the page in headless Chromium: node test.mjs PAGE_URL [SCREENSHOT].
// The Chromium binary is $CHROMIUM. Each protocol is checked for a unary
// reply, an error status with its message, and a server stream whose
// messages arrive one by one.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [pageURL, screenshot] = process.argv.slice(2);
const count = 5;
const intervalMs = 200;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 560 } });
  page.on("pageerror", (err) => console.error("page error:", err));
  page.on("console", (msg) => {
    // Connect sends a unary error with an HTTP error status, which Chromium
    // logs as a failed load: the error case below expects it.
    if (!msg.text().startsWith("Failed to load resource")) console.error("page console:", msg.text());
  });
  await page.goto(pageURL);

  // call clicks a button and returns the status and the replies, each with
  // the milliseconds since the call started, once the call has ended. With
  // whileRunning it also returns how many replies were shown when the first
  // one appeared.
  async function call(button, whileRunning = false) {
    const calls = Number(await page.locator("#status").getAttribute("data-calls"));
    await page.click(button);
    let shownAtFirst;
    if (whileRunning) {
      await page.waitForSelector("#replies li");
      shownAtFirst = await page.locator("#replies li").count();
    }
    await page.waitForFunction((n) => Number(document.getElementById("status").dataset.calls) > n, calls);
    const replies = await page.$$eval("#replies li", (items) =>
      items.map((li) => ({ message: li.querySelector("span").textContent, ms: Number(li.dataset.ms) })));
    return { status: await page.textContent("#status"), replies, shownAtFirst };
  }

  // gRPC-Web last, so that the screenshot shows it.
  for (const protocol of ["connect", "grpc-web"]) {
    await page.selectOption("#protocol", protocol);
    await page.fill("#name", "browser");
    let r = await call("#hello");
    assert.equal(r.status, "OK", protocol);
    assert.deepEqual(r.replies.map((x) => x.message), ["Hello, browser!"], protocol);

    await page.fill("#name", "");
    r = await call("#hello");
    assert.equal(r.status, "INVALID_ARGUMENT: name must not be empty", protocol);
    assert.equal(r.replies.length, 0, protocol);

    await page.fill("#name", "browser");
    await page.fill("#count", String(count));
    await page.fill("#interval", String(intervalMs));
    r = await call("#stream", true);
    assert.equal(r.status, "OK", protocol);
    const want = Array.from({ length: count }, (_, i) => `Hello, browser! (${i + 1}/${count})`);
    assert.deepEqual(r.replies.map((x) => x.message), want, protocol);
    // Buffered, all would arrive at once; streamed, they are interval_ms
    // apart. Allow half of that for a loaded machine.
    const times = r.replies.map((x) => x.ms);
    assert.ok(r.shownAtFirst < count, `${protocol}: ${r.shownAtFirst} replies were shown at once`);
    assert.ok(times[count - 1] - times[0] >= (count - 1) * intervalMs / 2,
      `${protocol}: replies at ${times.join(", ")} ms`);
    console.log(`${protocol}: unary OK, INVALID_ARGUMENT shown, ${count} streamed replies at ${times.join(", ")} ms`);
  }
  if (screenshot) {
    await page.screenshot({ path: screenshot });
  }
} finally {
  await browser.close();
}
