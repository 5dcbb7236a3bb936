// Preloaded with NODE_OPTIONS=--import: when the process exits (however it exits), writes its
// peak resident memory in KiB (process.resourceUsage().maxRSS) to $BENCH_PEAK_RSS_FILE.
import { writeFileSync } from 'node:fs'
import process from 'node:process'

const file = process.env.BENCH_PEAK_RSS_FILE
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
