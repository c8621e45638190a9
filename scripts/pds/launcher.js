// The reference Bluesky PDS (@atproto/pds) and an in-memory PLC directory
// (@did-plc/server, Database.mock()) in one Node process, both listening on 127.0.0.1
// only: for civicarchive's capture tests and benchmark, never for production.
//
//   PDS_MODULES=.pds/node_modules PDS_PORT=... PDS_DATA_DIRECTORY=... node launcher.js
//
// Every PDS_* setting comes from the environment (tests/capture/pds.py sets them); the
// launcher adds only PDS_DID_PLC_URL, the PLC it started. When both answer, it prints one
// line of JSON ({"pds": url, "plc": url}) and runs until SIGTERM, SIGINT or the end of its
// standard input (its parent is gone), then stops both servers and exits.
'use strict'

const path = require('node:path')
const { createRequire } = require('node:module')

const HOST = '127.0.0.1'
const modules = process.env.PDS_MODULES || path.join(__dirname, 'node_modules')
const load = createRequire(path.join(path.resolve(modules), '..', 'launcher.js'))
const { PDS, envToCfg, envToSecrets, readEnv } = load('@atproto/pds')
const { PlcServer, Database } = load('@did-plc/server')

// Both servers call app.listen(port), which binds every interface: bind loopback only.
function loopbackOnly (app) {
  const listen = app.listen
  app.listen = (port, ...rest) => listen.call(app, port, HOST, ...rest)
}

async function main () {
  const plc = PlcServer.create({ db: Database.mock(), port: Number(process.env.PLC_PORT || 0) })
  loopbackOnly(plc.app)
  const plcServer = await plc.start()
  const plcUrl = `http://${HOST}:${plcServer.address().port}`
  process.env.PDS_DID_PLC_URL = plcUrl

  const env = readEnv()
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  loopbackOnly(pds.app)
  await pds.start()
  const pdsUrl = `http://${HOST}:${env.port}`

  let stopping = false
  const stop = async (code) => {
    if (stopping) return
    stopping = true
    await Promise.allSettled([pds.destroy(), plc.destroy()])
    process.exit(code)
  }
  process.on('SIGTERM', () => stop(0))
  process.on('SIGINT', () => stop(0))
  process.stdin.on('end', () => stop(0))
  process.stdin.resume()
  process.stdout.write(JSON.stringify({ pds: pdsUrl, plc: plcUrl }) + '\n')
}

main().catch((error) => {
  process.stderr.write(`launcher: ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
