"""The gold data model the stages read: documents (model), reading and writing them (io), their checks
(validate), records and CoNLL (convert), QUANTITY values (quantity), statistics (stats) and the
train/test splits (splits). The tools around it live in `annotation`."""
