//! Accounts, sessions and API tokens in SQLite. Sessions and tokens are
//! found by the SHA-256 of their value (the database never holds a token
//! itself); `sessions` and `tokens_db` make the tokens and hash them.
pub mod sessions;
pub mod tokens;
pub mod users;
