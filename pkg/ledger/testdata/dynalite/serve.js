// Starts dynalite, in memory, on a free loopback port chosen by the kernel, and prints
// {"port": N} once it listens. It exits when its standard input closes, so it never outlives
// the Go test that started it, even one that was killed.
'use strict'
const dynalite = require('dynalite')

// Tables are ACTIVE at once instead of after dynalite's default half second.
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
