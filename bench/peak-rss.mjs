// Preloaded with NODE_OPTIONS=--import: when the process exits (however it exits), writes its
// peak resident memory in KiB to $BENCH_PEAK_RSS_FILE: VmHWM of /proc/self/status, the
// high-water mark of this program's own memory. process.resourceUsage().maxRSS is not used: on
// Linux it keeps the peak of the process before exec, so a child of a large parent (the
// benchmark holds the uploaded assets in its GitHub stand-in) would report the parent's size.
import { readFileSync, writeFileSync } from 'node:fs'
import process from 'node:process'

const file = process.env.BENCH_PEAK_RSS_FILE
if (file)
  process.on('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8')
    writeFileSync(file, /VmHWM:\s*(\d+) kB/.exec(status)?.[1] ?? '0')
  })
