// Package runtimeconfig reads Spin's runtime-config file (the TOML file
// given to spin up --runtime-config-file) and wires its key-value stores to
// labels.
//
// [Load] or [Parse] turn the file into a [Config], plain data; [Config.Open]
// opens the stores and returns a [Resolver], the kv.Resolver a host uses to
// give components their stores:
//
//	cfg, err := runtimeconfig.Load("runtime-config.toml")
//	...
//	res, err := cfg.Open(ctx, cfg.StateDirFor(nil, appDir), nil)
//	...
//	defer res.Close()
//
// # What is read
//
// As in Spin (v1.5.1:crates/trigger/src/runtime_config.rs, v3.1.2:crates/factor-key-value/src/runtime_config/spin.rs):
//
//   - state_dir: the state directory; "" means none (the default store is
//     then in memory). A relative value is kept as written and resolves
//     against the current directory. [Config.StateDirFor] applies Spin's
//     precedence (--state-dir, then state_dir, then <app dir>/.spin).
//   - [key_value_store.LABEL] with type = "spin" and an optional path: a
//     SQLite file, relative paths resolved against the file's directory;
//     without path, an in-memory database.
//   - [key_value_store.LABEL] with type = "redis" and url: a Redis server
//     (see kv/redis). Like Spin, the label is not part of the Redis key, so
//     all such labels on one database share one keyspace. Spindle extension:
//     key_prefix = "..." prepends a prefix to every key of the label, to
//     isolate labels that share a database. Spin rejects this field, so a
//     file that uses it is for Spindle only.
//
// The label "default" always exists: when the file does not define it, it
// is <state dir>/sqlite_key_value.db, the file Spin uses, or in memory when
// there is no state directory.
//
// # What is rejected or ignored
//
// Every problem is reported with its line and column, all at once (an
// *[Error] per problem, joined): TOML syntax errors, an unknown store type,
// Spin's azure_cosmos and aws_dynamo types (not supported), a missing or
// mistyped field, and unknown fields in a store table (Spin rejects them
// too).
//
// Other Spin sections — sqlite_database, llm_compute, config_provider,
// variables_provider, client_tls, outbound_http, log_dir — are accepted so
// that a file written for Spin works unchanged, recorded in
// [Config.Ignored], and logged as warnings by [Config.Open]. Any other
// top-level key is an error, which catches typos such as key_value_stores.
package runtimeconfig
