-- wrk script for the "post model" scenario: a JSON body validated into a model.
wrk.method = "POST"
wrk.body = '{"id":1,"name":"desk","price":99.5}'
wrk.headers["Content-Type"] = "application/json"
