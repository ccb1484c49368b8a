//! The registry's database: an SQLite file, or a PostgreSQL server (the
//! `postgres` feature) that several `hallmark serve` processes share.
//!
//! Every statement is written once, in the SQL both speak, with `$1`-style
//! parameters (SQLite reads them as `?1`). Rows come back as [`Row`]s of
//! [`Cell`]s, read by column position; a cell of the wrong kind is a
//! `Corrupt` registry, never a panic. Transactions are `BEGIN` … `COMMIT`
//! on the one connection; writers are serialised (SQLite's `BEGIN
//! IMMEDIATE`, PostgreSQL's advisory lock), so row ids are committed in
//! order and other processes can load new rows by id ([`super::Registry::refresh`]).

use rusqlite::types::ValueRef;

use super::{schema, RegistryError};

/// A statement's parameter.
#[derive(Debug, Clone, Copy)]
pub(super) enum Param<'a> {
    Int(i64),
    Text(Option<&'a str>),
    Blob(&'a [u8]),
    Bool(bool),
}

impl<'a> From<i64> for Param<'a> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(Some(v))
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Blob(v)
    }
}

impl<'a> From<bool> for Param<'a> {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match *self {
            Param::Int(v) => ToSqlOutput::Owned(Value::Integer(v)),
            Param::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Param::Text(None) => ToSqlOutput::Owned(Value::Null),
            Param::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Param::Bool(v) => ToSqlOutput::Owned(Value::Integer(v.into())),
        })
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    /// PostgreSQL's BOOLEAN (SQLite keeps booleans as integers).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Bool(bool),
}

/// A row, its cells by column position.
pub(super) struct Row<'a> {
    cells: Vec<Cell>,
    name: &'a str,
}

impl Row<'_> {
    fn wrong(&self, i: usize, want: &str) -> RegistryError {
        RegistryError::Corrupt {
            path: self.name.to_string(),
            detail: format!(
                "column {i} holds {:?} where {want} belongs",
                self.cells.get(i).map(kind).unwrap_or("nothing")
            ),
        }
    }

    pub(super) fn int(&self, i: usize) -> Result<i64, RegistryError> {
        match self.cells.get(i) {
            Some(Cell::Int(v)) => Ok(*v),
            _ => Err(self.wrong(i, "an integer")),
        }
    }

    pub(super) fn opt_int(&self, i: usize) -> Result<Option<i64>, RegistryError> {
        match self.cells.get(i) {
            Some(Cell::Null) => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub(super) fn bool(&self, i: usize) -> Result<bool, RegistryError> {
        match self.cells.get(i) {
            Some(Cell::Bool(v)) => Ok(*v),
            Some(Cell::Int(v)) => Ok(*v != 0),
            _ => Err(self.wrong(i, "a boolean")),
        }
    }

    pub(super) fn text(&self, i: usize) -> Result<String, RegistryError> {
        match self.cells.get(i) {
            Some(Cell::Text(v)) => Ok(v.clone()),
            _ => Err(self.wrong(i, "text")),
        }
    }

    pub(super) fn opt_text(&self, i: usize) -> Result<Option<String>, RegistryError> {
        match self.cells.get(i) {
            Some(Cell::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub(super) fn blob(&self, i: usize) -> Result<Vec<u8>, RegistryError> {
        match self.cells.get(i) {
            Some(Cell::Blob(v)) => Ok(v.clone()),
            _ => Err(self.wrong(i, "bytes")),
        }
    }
}

fn kind(c: &Cell) -> &'static str {
    match c {
        Cell::Null => "NULL",
        Cell::Int(_) => "an integer",
        Cell::Text(_) => "text",
        Cell::Blob(_) => "bytes",
        Cell::Bool(_) => "a boolean",
    }
}

/// The connection.
pub(super) enum Conn {
    Sqlite(rusqlite::Connection),
    /// With what it was opened by, to connect again after the server
    /// restarted or the connection broke.
    #[cfg(feature = "postgres")]
    Postgres {
        client: Box<std::sync::Mutex<postgres::Client>>,
        config: Box<postgres::Config>,
    },
}

/// An open database and the name it is shown under (a path, or a
/// PostgreSQL URL without its password).
pub(super) struct Db {
    pub(super) conn: Conn,
    pub(super) name: String,
}

/// SQL in `$1` form as SQLite numbers parameters (`?1`). No statement of
/// the registry holds a `$` in a literal.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Db {
    pub(super) fn is_postgres(&self) -> bool {
        !matches!(self.conn, Conn::Sqlite(_))
    }

    fn sqlite_error(&self, e: rusqlite::Error) -> RegistryError {
        schema::classify(&self.name, e)
    }

    #[cfg(feature = "postgres")]
    fn pg_error(&self, e: postgres::Error) -> RegistryError {
        pg_error(&self.name, e)
    }

    /// Run `sql` (one statement or several, no parameters).
    pub(super) fn batch(&self, sql: &str) -> Result<(), RegistryError> {
        match &self.conn {
            Conn::Sqlite(c) => c.execute_batch(sql).map_err(|e| self.sqlite_error(e)),
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, config } => self
                .lock(client, config)?
                .batch_execute(sql)
                .map_err(|e| self.pg_error(e)),
        }
    }

    /// Run one statement; the number of rows it changed.
    pub(super) fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, RegistryError> {
        match &self.conn {
            Conn::Sqlite(c) => c
                .execute(&sqlite_sql(sql), rusqlite::params_from_iter(params.iter()))
                .map(|n| n as u64)
                .map_err(|e| self.sqlite_error(e)),
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, config } => self
                .lock(client, config)?
                .execute(sql, &pg_params(params))
                .map_err(|e| self.pg_error(e)),
        }
    }

    /// Call `f` with each row of `sql`, as they come (a large table is never
    /// held in memory whole).
    pub(super) fn each(
        &self,
        sql: &str,
        params: &[Param<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<(), RegistryError>,
    ) -> Result<(), RegistryError> {
        match &self.conn {
            Conn::Sqlite(c) => {
                let err = |e| self.sqlite_error(e);
                let mut stmt = c.prepare_cached(&sqlite_sql(sql)).map_err(err)?;
                let columns = stmt.column_count();
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(params.iter()))
                    .map_err(err)?;
                while let Some(r) = rows.next().map_err(err)? {
                    let mut cells = Vec::with_capacity(columns);
                    for i in 0..columns {
                        cells.push(match r.get_ref(i).map_err(err)? {
                            ValueRef::Null => Cell::Null,
                            ValueRef::Integer(v) => Cell::Int(v),
                            ValueRef::Real(v) => Cell::Text(v.to_string()),
                            ValueRef::Text(v) => Cell::Text(String::from_utf8_lossy(v).into()),
                            ValueRef::Blob(v) => Cell::Blob(v.to_vec()),
                        });
                    }
                    f(&Row {
                        cells,
                        name: &self.name,
                    })?;
                }
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres { client, config } => {
                use postgres::fallible_iterator::FallibleIterator;
                let mut client = self.lock(client, config)?;
                let values = pg_params(params);
                let mut rows = client
                    .query_raw(sql, values.iter().copied())
                    .map_err(|e| self.pg_error(e))?;
                while let Some(r) = rows.next().map_err(|e| self.pg_error(e))? {
                    let row = Row {
                        cells: pg_cells(&r).map_err(|e| self.pg_error(e))?,
                        name: &self.name,
                    };
                    f(&row)?;
                }
                Ok(())
            }
        }
    }

    /// The first row of `sql`, if any.
    pub(super) fn first<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        f: impl FnOnce(&Row<'_>) -> Result<T, RegistryError>,
    ) -> Result<Option<T>, RegistryError> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, params, |row| {
            if let Some(f) = f.take() {
                out = Some(f(row)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Run `f` in a transaction that writes: committed when it returns `Ok`,
    /// rolled back otherwise. Writers wait for each other.
    pub(super) fn write<T>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        match &self.conn {
            Conn::Sqlite(_) => self.batch("BEGIN IMMEDIATE")?,
            #[cfg(feature = "postgres")]
            Conn::Postgres { .. } => self.batch(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({});",
                schema::APPLICATION_ID
            ))?,
        }
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

#[cfg(feature = "postgres")]
impl Db {
    /// The connection, connected again first if it was closed (the server
    /// restarted, or the network dropped it): one attempt, then the error.
    fn lock<'c>(
        &self,
        client: &'c std::sync::Mutex<postgres::Client>,
        config: &postgres::Config,
    ) -> Result<std::sync::MutexGuard<'c, postgres::Client>, RegistryError> {
        // A panic while holding the lock leaves the connection as it was: it
        // holds no state of ours beyond an open transaction, which the server
        // ends when the next BEGIN fails.
        let mut guard = client.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_closed() {
            *guard = config
                .connect(postgres::NoTls)
                .map_err(|e| self.pg_error(e))?;
        }
        Ok(guard)
    }
}

#[cfg(feature = "postgres")]
pub(super) fn pg_error(name: &str, e: postgres::Error) -> RegistryError {
    let detail = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        // "error connecting to server" alone says too little: its cause too.
        None => match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    };
    if e.is_closed() || e.as_db_error().is_none() && detail.contains("connect") {
        RegistryError::Open {
            path: name.to_string(),
            detail,
        }
    } else {
        RegistryError::Database {
            path: name.to_string(),
            detail,
        }
    }
}

#[cfg(feature = "postgres")]
fn pg_params<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| -> &(dyn postgres::types::ToSql + Sync) {
            match p {
                Param::Int(v) => v,
                Param::Text(v) => v,
                Param::Blob(v) => v,
                Param::Bool(v) => v,
            }
        })
        .collect()
}

#[cfg(feature = "postgres")]
fn pg_cells(r: &postgres::Row) -> Result<Vec<Cell>, postgres::Error> {
    use postgres::types::Type;
    let mut cells = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let t = column.type_();
        let cell = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|v| Cell::Int(v.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|v| Cell::Int(v.into()))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(Cell::Bool)
        } else if *t == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Cell::Blob)
        } else {
            // TEXT, VARCHAR, NAME; anything else fails here, typed.
            r.try_get::<_, Option<String>>(i)?.map(Cell::Text)
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(cells)
}

#[cfg(feature = "postgres")]
/// `url` as it may be shown: a password in it (refused anyway) replaced by `***`.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split_once(':').map_or(userinfo, |u| u.0);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => url.to_string(),
    }
}
