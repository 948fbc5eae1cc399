import XCTest
@testable import BarrageCore

/// `OpenAPIDocument`, `OpenAPIExample` and `OpenAPIProfile` with no network: 3.0 and 3.1 documents written inline,
/// their examples and schema-derived values, references, security, servers, `--operations`, bad input, and the
/// profile written, loaded back with the profile loader.
final class OpenAPIImportTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A 3.0 document: server variables, a path-level parameter by $ref, bearer and API-key security, a JSON body
    /// derived from a referenced schema, parameters with and without examples.
    static let pets30 = """
    openapi: 3.0.3
    info: { title: Pet store, version: "1" }
    servers:
      - url: https://{region}.pets.example.com:{port}/v1
        variables:
          region: { default: eu, enum: [eu, us] }
          port: { default: "8443" }
    security:
      - bearer: []
    paths:
      /pets:
        get:
          operationId: listPets
          parameters:
            - { name: limit, in: query, required: true, schema: { type: integer, minimum: 10 } }
            - { name: sort, in: query, schema: { type: string, enum: [name, age] } }
            - { name: page, in: query, schema: { type: integer } }
            - { name: X-Request-Id, in: header, required: true, schema: { type: string, format: uuid } }
          responses: { "200": { description: ok } }
        post:
          operationId: createPet
          security:
            - apiKey: []
          requestBody:
            content:
              application/json:
                schema: { $ref: "#/components/schemas/NewPet" }
          responses: { "201": { description: created } }
      /pets/{petId}:
        parameters:
          - $ref: "#/components/parameters/PetId"
        get:
          operationId: getPet
          parameters:
            - name: since
              in: query
              required: true
              schema: { type: string, format: date-time }
          responses: { "200": { description: ok } }
        delete:
          responses: { "204": { description: gone } }
    components:
      parameters:
        PetId:
          name: petId
          in: path
          required: true
          schema: { type: integer }
          examples:
            first: { value: 42 }
      securitySchemes:
        bearer: { type: http, scheme: bearer }
        apiKey: { type: apiKey, in: header, name: X-API-Key }
      schemas:
        NewPet:
          type: object
          required: [name]
          properties:
            tag: { type: string }
            name: { type: string, example: Rex }
            born: { type: string, format: date }
            owner: { $ref: "#/components/schemas/Owner" }
            toys: { type: array, items: { type: string, enum: [ball, rope] } }
        Owner:
          type: object
          properties:
            id: { type: string, format: uuid }
            vip: { type: boolean }
    """

    func render(_ text: String, file: String = "spec.yaml", operations: [String]? = nil, baseURL: String? = nil) throws -> OpenAPIProfile.Output {
        try OpenAPIProfile.render(OpenAPIDocument(text: text, file: file), operations: operations, baseURL: baseURL)
    }

    func failure(_ text: String, file: String = "spec.yaml", operations: [String]? = nil) -> String {
        do {
            _ = try render(text, file: file, operations: operations)
            return "no error"
        } catch let f as OpenAPIDocument.Failure {
            return f.message
        } catch {
            return "\(error)"
        }
    }

    func testOpenAPI30ExamplesRefsSecurityAndServerVariables() throws {
        let out = try render(Self.pets30)
        let text = out.text
        XCTAssertEqual(out.stepNames, ["listPets", "createPet", "getPet", "delete_pets_petId"])
        XCTAssertEqual(out.variables, ["BASE_URL", "TOKEN", "API_KEY"])
        XCTAssertTrue(text.contains("# BASE_URL: give it with -e BASE_URL=… (servers[0]: https://eu.pets.example.com:8443/v1 ("), text)
        XCTAssertTrue(text.contains("region=eu, port=8443"), text)
        // Required query parameter derived within its minimum; an optional one with an enum kept; one with nothing left out.
        XCTAssertTrue(text.contains(#"url: "${BASE_URL}/pets?limit=10&sort=name""#), text)
        XCTAssertTrue(text.contains("optional query parameter page left out"), text)
        XCTAssertTrue(text.contains(#"X-Request-Id: "3fa85f64-5717-4562-b3fc-2c963f66afa6""#), text)
        XCTAssertTrue(text.contains(#"Authorization: "Bearer ${TOKEN}""#), text)
        XCTAssertTrue(text.contains(#"X-API-Key: "${API_KEY}""#), text)
        // The body: required first, then every property; a nested $ref; arrays of one (enum[0]).
        XCTAssertTrue(text.contains(#"body: "{\"name\":\"Rex\",\"tag\":\"string\",\"born\":\"2024-01-01\",\"owner\":{\"id\":\"3fa85f64-5717-4562-b3fc-2c963f66afa6\",\"vip\":true},\"toys\":[\"ball\"]}""#), text)
        XCTAssertTrue(text.contains(#"Content-Type: "application/json""#), text)
        XCTAssertTrue(text.contains("step createPet: the JSON body is derived from the schema"), text)
        // The path-level $ref parameter's examples entry, written inline and said so.
        XCTAssertTrue(text.contains(#"url: "${BASE_URL}/pets/42?since=2024-01-01T00%3A00%3A00Z""#) || text.contains(#"url: "${BASE_URL}/pets/42?since=2024-01-01T00:00:00Z""#), text)
        XCTAssertTrue(text.contains("#   petId = 42 in step getPet (examples.first)"), text)
        XCTAssertTrue(text.contains("method: DELETE"), text)

        let profile = try ProfileLoader.parse(text: text, path: "p.yaml",
                                              variables: ["BASE_URL": "http://h", "TOKEN": "t", "API_KEY": "k"], environment: [:])
        XCTAssertEqual(profile.scenarios.first?.flow.steps.count, 4)
        XCTAssertThrowsError(try ProfileLoader.parse(text: text, path: "p.yaml", variables: ["BASE_URL": "http://h"], environment: [:]))
    }

    func testOpenAPI31ExamplesArraysNullableTypesAndJSONInput() throws {
        let json = """
        {"openapi": "3.1.0", "info": {"title": "T", "version": "1"},
         "servers": [{"url": "/api/v2/"}],
         "paths": {
           "/users/{id}": {"put": {
             "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": ["string", "null"], "format": "uuid"}},
                            {"name": "v", "in": "query", "required": true, "schema": {"type": "integer", "examples": [3, 4]}}],
             "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}}
         },
         "components": {"schemas": {"User": {"type": "object", "properties": {
             "nick": {"type": ["null", "string"]},
             "age": {"type": ["integer", "null"], "minimum": 18},
             "email": {"type": "string", "format": "email", "examples": ["ann@example.com"]},
             "kind": {"const": "person"},
             "score": {"oneOf": [{"type": "null"}, {"type": "number"}]}}}}}}
        """
        let out = try render(json, file: "spec.json")
        XCTAssertEqual(out.stepNames, ["put_users_id"])
        XCTAssertEqual(out.variables, ["BASE_URL"])
        XCTAssertTrue(out.text.contains(#"url: "${BASE_URL}/api/v2/users/3fa85f64-5717-4562-b3fc-2c963f66afa6?v=3""#), out.text)
        XCTAssertTrue(out.text.contains("BASE_URL is the origin, /api/v2 is kept in the URLs"), out.text)
        XCTAssertTrue(out.text.contains(#"body: "{\"nick\":\"string\",\"age\":18,\"email\":\"ann@example.com\",\"kind\":\"person\",\"score\":1}""#), out.text)
        XCTAssertTrue(out.text.contains("guessed, derived from the schema (string, format uuid)"), out.text)
        XCTAssertTrue(out.text.contains("# Imported from spec.json (OpenAPI 3.1.0, T)"), out.text)
        XCTAssertNoThrow(try ProfileLoader.parse(text: out.text, path: "p.yaml", variables: ["BASE_URL": "http://h"], environment: [:]))
    }

    func testRecursiveSchemasAreCutAndAllOfIsMerged() throws {
        let text = """
        openapi: 3.0.0
        info: { title: T, version: "1" }
        paths:
          /nodes:
            post:
              operationId: addNode
              requestBody:
                content:
                  application/json:
                    schema:
                      allOf:
                        - $ref: "#/components/schemas/Node"
                        - { type: object, properties: { extra: { type: integer } } }
        components:
          schemas:
            Node:
              type: object
              properties:
                label: { type: string }
                parent: { $ref: "#/components/schemas/Node" }
        """
        let out = try render(text)
        XCTAssertTrue(out.text.contains(#"{\"label\":\"string\",\"parent\":{\"label\":\"string\",\"parent\":"#), out.text)
        XCTAssertTrue(out.text.contains(#"\"extra\":1}""#), out.text)
        XCTAssertTrue(out.text.contains("a recursive part cut"), out.text)
        XCTAssertTrue(out.text.contains("# BASE_URL: give it with -e BASE_URL=… (the document has no servers"), out.text)
    }

    func testOperationsChooseAndOrderAndBaseURLReplacesTheServer() throws {
        let out = try render(Self.pets30, operations: ["getPet", "delete_pets_petId", "listPets"], baseURL: "http://127.0.0.1:9")
        XCTAssertEqual(out.stepNames, ["getPet", "delete_pets_petId", "listPets"])
        XCTAssertTrue(out.text.contains("(--base-url: http://127.0.0.1:9)"), out.text)
        XCTAssertFalse(out.text.contains("API_KEY"), "createPet not chosen")
        XCTAssertEqual(failure(Self.pets30, operations: ["listPets", "nope"]),
                       "--operations: no operation 'nope' in spec.yaml (it has: listPets, createPet, getPet, delete_pets_petId)")
    }

    func testFormBodiesBasicAuthAndCookieSchemes() throws {
        let text = """
        openapi: 3.0.1
        info: { title: T, version: "1" }
        paths:
          /login:
            post:
              operationId: login
              security: [ { basic: [] } ]
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: { type: object, properties: { user: { type: string, example: "a b" }, n: { type: integer } } }
          /me:
            get:
              operationId: me
              security: [ { sid: [] } ]
              parameters: [ { name: lang, in: cookie, required: true, example: en } ]
        components:
          securitySchemes:
            basic: { type: http, scheme: basic }
            sid: { type: apiKey, in: cookie, name: sid }
        """
        let out = try render(text)
        XCTAssertTrue(out.text.contains(#"body: "user=a%20b&n=1""#), out.text)
        XCTAssertTrue(out.text.contains(#"Authorization: "Basic ${BASIC_AUTH}""#), out.text)
        XCTAssertTrue(out.text.contains(#"Cookie: "lang=en""#), out.text)
        XCTAssertTrue(out.text.contains("cookies: per_vu"), out.text)
        XCTAssertTrue(out.text.contains("cookie sid (security sid) is left to the cookie jar"), out.text)
        XCTAssertNoThrow(try ProfileLoader.parse(text: out.text, path: "p.yaml", variables: ["BASE_URL": "http://h", "BASIC_AUTH": "x"], environment: [:]))
    }

    func testUnquotedVersionsJSONTextExamplesUndeclaredPathNamesAndStringLengths() throws {
        let text = """
        openapi: 3.1
        info: { title: T, version: 1 }
        paths:
          /orders/{orderId}/lines:
            post:
              operationId: addLine
              parameters:
                - { name: code, in: query, required: true, schema: { type: string, minLength: 8 } }
                - { name: cc, in: query, required: true, schema: { type: string, maxLength: 2 } }
              requestBody:
                content:
                  application/json:
                    example: '{"sku": "A-1", "qty": 2}'
        """
        let out = try render(text)
        XCTAssertTrue(out.text.contains("(OpenAPI 3.1, T)"), out.text)
        XCTAssertTrue(out.text.contains(#"url: "${BASE_URL}/orders/1/lines?code=stringxx&cc=st""#), out.text)
        XCTAssertTrue(out.text.contains("#   orderId = 1 in step addLine (guessed: the path names it, no parameter declares it)"), out.text)
        XCTAssertTrue(out.text.contains(#"body: "{\"sku\": \"A-1\", \"qty\": 2}""#), out.text)
        XCTAssertEqual(failure("swagger: 2.0\npaths: {}"),
                       "spec.yaml: Swagger 2.0 is not supported (OpenAPI 3.0 and 3.1 are); convert it to OpenAPI 3 first")
        XCTAssertEqual(failure("openapi: 3.10\npaths: {}"), "spec.yaml: openapi: OpenAPI 3.10 is not supported (3.0 and 3.1 are)")
    }

    func testPathVariablesAreListedAndGivenWithE() throws {
        let doc = try OpenAPIDocument(text: Self.pets30, file: "spec.yaml")
        let out = try OpenAPIProfile.render(doc, operations: ["getPet", "delete_pets_petId"], pathVariables: true)
        XCTAssertEqual(out.variables, ["BASE_URL", "TOKEN", "petId"])
        XCTAssertTrue(out.text.contains(#"url: "${BASE_URL}/pets/${petId}?since="#), out.text)
        XCTAssertTrue(out.text.contains("# path parameters: give them with -e NAME=… (the document's example shown)"), out.text)
        XCTAssertTrue(out.text.contains("#   petId  42 (examples.first; first used by step getPet)"), out.text)
        XCTAssertFalse(out.text.contains("written inline"), out.text)
        let vars = ["BASE_URL": "http://h", "TOKEN": "t", "petId": "9"]
        let profile = try ProfileLoader.parse(text: out.text, path: "p.yaml", variables: vars, environment: [:])
        XCTAssertEqual(profile.scenarios[0].flow.steps.count, 2)
        XCTAssertThrowsError(try ProfileLoader.parse(text: out.text, path: "p.yaml", variables: ["BASE_URL": "http://h", "TOKEN": "t"], environment: [:]))
        XCTAssertEqual(OpenAPIProfile.variableName("pet-id"), "pet_id")
        XCTAssertEqual(OpenAPIProfile.variableName("1st"), "p_1st")
    }

    func testTheDemoDocumentCapturesTheLoginTokenAndValidatesWithBaseURLAlone() throws {
        let path = Self.repoRoot.appendingPathComponent("docs/openapi-demo.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let out = try render(text, file: "docs/openapi-demo.yaml")
        XCTAssertEqual(out.stepNames, ["login", "listItems", "getItem", "createCart", "payCart", "getSession"])
        XCTAssertEqual(out.variables, ["BASE_URL"], "the bearer steps send the token captured from login")
        XCTAssertTrue(out.text.contains(#"capture: { token: { json: "$.token" } }"#), out.text)
        XCTAssertTrue(out.text.contains(#"Authorization: "Bearer ${token}""#), out.text)
        XCTAssertTrue(out.text.contains(#"body: "{\"user\":\"user01\",\"password\":\"pw-user01\"}""#), out.text)
        XCTAssertTrue(out.text.contains(#"url: "${BASE_URL}/api/cart/1/pay""#), out.text)
        XCTAssertTrue(out.text.contains(#"url: "${BASE_URL}/api/items?n=5""#), out.text)
        XCTAssertTrue(out.text.contains("servers[0]: http://127.0.0.1:8080"), out.text)
        XCTAssertTrue(out.text.contains("cookies: per_vu"), out.text)
        let profile = try ProfileLoader.parse(text: out.text, path: "demo.yaml", variables: ["BASE_URL": "http://h"], environment: [:])
        XCTAssertEqual(profile.scenarios.first?.flow.steps.count, 6)
    }

    func testBadInputIsOneLineNamingTheFileAndPlace() {
        XCTAssertTrue(failure("openapi: 3.0.0\npaths: [unclosed").hasPrefix("spec.yaml: malformed YAML: "), failure("openapi: 3.0.0\npaths: [unclosed"))
        XCTAssertTrue(failure("{\"openapi\": \"3.0.0\",", file: "s.json").hasPrefix("s.json: malformed JSON: "))
        XCTAssertEqual(failure("info: { title: T }\npaths: {}"), "spec.yaml: not an OpenAPI document (no openapi: field)")
        XCTAssertEqual(failure("- a\n- b"), "spec.yaml: not an OpenAPI document (expected a mapping at the top)")
        XCTAssertEqual(failure("swagger: \"2.0\"\npaths: {}"),
                       "spec.yaml: Swagger 2.0 is not supported (OpenAPI 3.0 and 3.1 are); convert it to OpenAPI 3 first")
        XCTAssertEqual(failure("openapi: 4.0.0\npaths: {}"), "spec.yaml: openapi: OpenAPI 4.0.0 is not supported (3.0 and 3.1 are)")
        XCTAssertEqual(failure("openapi: 3.0.0\npaths: {}"), "spec.yaml: paths: the document has no operations")
        let remote = """
        openapi: 3.0.0
        paths:
          /a:
            get:
              responses:
                "200": { $ref: "https://example.com/common.yaml#/Ok" }
        """
        XCTAssertEqual(failure(remote),
                       "spec.yaml: paths./a.get.responses.200.$ref: 'https://example.com/common.yaml#/Ok' is not a local reference (only #/… references are read)")
        let dangling = """
        openapi: 3.0.0
        paths:
          /a:
            get:
              parameters: [ { $ref: "#/components/parameters/Missing" } ]
        """
        XCTAssertEqual(failure(dangling),
                       "spec.yaml: paths./a.get.parameters[0].$ref: '#/components/parameters/Missing' points at nothing in the document")
        for message in [failure("openapi: 3.0.0\npaths: [unclosed"), failure(remote)] {
            XCTAssertFalse(message.contains("\n"), message)
        }
    }
}
