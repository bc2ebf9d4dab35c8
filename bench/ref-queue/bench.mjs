// bench/ref-queue/bench.mjs — the reference for bench/tasks.sh: the same
// no-op work as taskvisor's benchmark, on plainjob (SQLite through
// better-sqlite3, WAL) with 2 worker processes.
//
//   node bench.mjs main DB normal|full COUNT BATCH LAT_COUNT INTERVAL_MS
// prints: tasks=N seconds=S rate=R failed=F p50_ms=X p99_ms=Y
//
// Throughput: COUNT jobs added in batches of BATCH (addMany: one transaction
// each) while the workers run; timed from the first add until every job is
// done. Latency: LAT_COUNT jobs added one at a time, INTERVAL_MS apart; each
// carries its add time (CLOCK_MONOTONIC via process.hrtime) and the worker
// records when it starts it. plainjob workers poll: pollIntervall 10 ms. A
// worker that crashes (SQLITE_BUSY) is restarted and counted (worker_crashes);
// jobs it held stay "processing" until plainjob's 30 min timeout, so a run
// with crashes may never drain: tasks.sh bounds it with a timeout.
import { fork } from "node:child_process";
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker, JobStatus } from "plainjob";

const quiet = { debug() {}, info() {}, warn() {}, error: console.error };
const [, self, role, dbPath, mode] = process.argv;

function openQueue() {
	const db = new Database(dbPath);
	const queue = defineQueue({ connection: better(db), logger: quiet });
	db.pragma(`synchronous = ${mode === "full" ? "FULL" : "NORMAL"}`);
	return { db, queue };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (role === "worker") {
	const { queue } = openQueue();
	const lat = [];
	const worker = defineWorker(
		"bench",
		async (job) => {
			const d = JSON.parse(job.data);
			if (d.t !== undefined) lat.push(nowMs() - d.t);
		},
		{ queue, logger: quiet, pollIntervall: 10 }
	);
	process.on("disconnect", () => process.exit(1)); // the bench is gone
	process.on("message", async (m) => {
		if (m === "stop") {
			await worker.stop();
			process.send({ lat }, () => process.exit(0));
		}
	});
	worker.start();
	process.send("ready");
} else {
	const [count, batch, latCount, interval] = process.argv.slice(5).map(Number);
	const { queue } = openQueue();
	const workers = [];
	let crashes = 0;
	let stopping = false;
	// A worker that dies (plainjob's workers throw SQLITE_BUSY "database is
	// locked" under contention) is restarted, as a supervisor would; counted.
	const spawn = (i) =>
		new Promise((r) => {
			const w = fork(self, ["worker", dbPath, mode]);
			workers[i] = w;
			w.once("message", r);
			w.on("exit", (code) => {
				if (!stopping && code !== 0) {
					crashes++;
					spawn(i);
				}
			});
		});
	for (let i = 0; i < 2; i++) await spawn(i);
	// plainjob's inserts fail with SQLITE_BUSY under contention: retry them, counted.
	let busy = 0;
	async function retry(fn) {
		for (;;) {
			try {
				return fn();
			} catch (e) {
				if (e.code !== "SQLITE_BUSY") throw e;
				busy++;
				await sleep(1);
			}
		}
	}
	const t0 = nowMs();
	for (let done = 0; done < count; done += batch) {
		const n = Math.min(batch, count - done);
		await retry(() => queue.addMany("bench", Array.from({ length: n }, () => ({}))));
	}
	// Wait until `target` jobs have finished, or no job finished for 10 s
	// (jobs of a crashed worker): then go on with what finished, and say so.
	let stalled = 0;
	const finishedCount = () => queue.countJobs({ status: JobStatus.Done }) + queue.countJobs({ status: JobStatus.Failed });
	async function drain(target) {
		let last = -1, since = nowMs(), n;
		while ((n = finishedCount()) < target) {
			if (n !== last) {
				last = n;
				since = nowMs();
			} else if (nowMs() - since > 10000) {
				stalled += target - n;
				return { n, at: since };
			}
			await sleep(5);
		}
		return { n, at: nowMs() };
	}
	const d1 = await drain(count);
	const secs = (d1.at - t0) / 1000;
	const failed = queue.countJobs({ status: JobStatus.Failed });
	for (let i = 0; i < latCount; i++) {
		await retry(() => queue.add("bench", { t: nowMs() }));
		await sleep(interval);
	}
	await drain(count + latCount);
	const lat = [];
	stopping = true;
	await Promise.all(
		workers.filter((w) => w.connected).map(
			(w) =>
				new Promise((r) => {
					w.once("message", (m) => {
						lat.push(...m.lat);
						r();
					});
					w.send("stop");
				})
		)
	);
	lat.sort((a, b) => a - b);
	const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : NaN);
	console.log(
		`tasks=${d1.n} seconds=${secs.toFixed(3)} rate=${Math.round(d1.n / secs)} failed=${failed} ` +
			`p50_ms=${pct(50).toFixed(3)} p99_ms=${pct(99).toFixed(3)} samples=${lat.length} ` +
			`worker_crashes=${crashes} stalled=${stalled} busy_retries=${busy}`
	);
	process.exit(0);
}
