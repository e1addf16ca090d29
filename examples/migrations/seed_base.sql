INSERT INTO results (op, value) VALUES ('add', 5), ('mul', 42);
