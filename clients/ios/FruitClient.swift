// The fruit classifier's mobile flow on iOS (docs/mobile.md): sign in with Firebase Auth, upload the photo to
// uploads/<uid>/<name> with the Storage SDK, wait for what the classify_upload trigger writes (the classification,
// or an uploadErrors document saying why not) with a Firestore listener, and if nothing comes within
// resultTimeout ask the API to classify the upload itself (POST /api/classify {"storagePath"}).
//
// Swift Package Manager: firebase-ios-sdk 11 or later, products FirebaseAuth, FirebaseFirestore,
// FirebaseStorage and FirebaseAppCheck; iOS 16 or later (async/await, Duration). For App Attest, add the App Attest
// capability. Copy this file into the app and call `FruitClient.start(debug:)` once, before any other Firebase call
// (in the App's init or application(_:didFinishLaunchingWithOptions:)).
import DeviceCheck
import FirebaseAppCheck
import FirebaseAuth
import FirebaseCore
import FirebaseFirestore
import FirebaseStorage
import Foundation

/// The server's answer about one photo: the fields of users/<uid>/classifications/<id> the app shows.
struct Classification: Sendable {
    let id: String
    let label: String
    let confidence: Double
    let abstained: Bool // true: show "not a fruit / not sure" rather than the label
    let modelVersion: String
}

/// What the app should do about a refusal (docs/mobile.md, "Errors to handle").
enum Remedy {
    case retryLater, signInAgain, accountDisabled, chooseAnotherPhoto, updateApp, askAnAdmin, report
}

/// A refusal in the API's words (its error code and message and, for 429 and 503, the seconds to wait), or one of
/// the client's own codes for what happens before the server sees anything (docs/mobile.md).
struct FruitError: Error {
    let code: String
    let message: String
    var retryAfterSeconds: Int? = nil

    var remedy: Remedy {
        switch code {
        case "rate-limited", "unavailable", "org-model-unavailable": return .retryLater
        case "network-error", "upload-failed", "no-result": return .retryLater
        case "unauthenticated", "invalid-token", "token-expired", "token-revoked", "account-deleted": return .signInAgain
        case "account-disabled": return .accountDisabled
        case "empty-image", "image-too-large", "unsupported-image", "corrupt-image", "too-many-pixels": return .chooseAnotherPhoto
        case "app-check-missing", "app-check-invalid": return .updateApp
        case "feature-disabled": return .askAnAdmin
        case "upload-refused": return .report
        default: return .report
        }
    }
}

/// App Attest where the device supports it, DeviceCheck on the devices that lack it.
final class FruitAppCheckProviderFactory: NSObject, AppCheckProviderFactory {
    func createProvider(with app: FirebaseApp) -> AppCheckProvider? {
        if DCAppAttestService.shared.isSupported {
            return AppAttestProvider(app: app)
        }
        return DeviceCheckProvider(app: app)
    }
}

final class FruitClient: Sendable {
    static let uploadsFolder = "uploads"
    static let maxUploadBytes = 10 * 1024 * 1024
    static let acceptedTypes = ["image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"]
    static let resultTimeout: Duration = .seconds(20)

    // Debug builds use the emulators (`scripts/dev`; ports from firebase.json) on the development machine, which
    // the iOS simulator reaches at 127.0.0.1 (a phone on the same network: the machine's address).
    static let emulatorHost = "127.0.0.1"
    static let authPort = 9099
    static let firestorePort = 8080
    static let storagePort = 9199
    static let hostingPort = 5000

    private let apiBase: URL
    private var auth: Auth { Auth.auth() }
    private var db: Firestore { Firestore.firestore() }

    private init(apiBase: URL) {
        self.apiBase = apiBase
    }

    /// Call once, before any other Firebase call. `debug`: true in debug builds (`#if DEBUG`).
    static func start(debug: Bool) -> FruitClient {
        if debug {
            // App Check has no emulator; the debug provider prints a token to register in the console.
            AppCheck.setAppCheckProviderFactory(AppCheckDebugProviderFactory())
            // The emulators' demo project, so that GoogleService-Info.plist can stay the real project's.
            let options = FirebaseOptions(googleAppID: "1:0:ios:0", gcmSenderID: "0")
            options.projectID = "demo-fruit"
            options.apiKey = "demo-api-key"
            options.storageBucket = "demo-fruit.appspot.com"
            FirebaseApp.configure(options: options)
            Auth.auth().useEmulator(withHost: emulatorHost, port: authPort)
            Firestore.firestore().useEmulator(withHost: emulatorHost, port: firestorePort)
            Storage.storage().useEmulator(withHost: emulatorHost, port: storagePort)
            return FruitClient(apiBase: URL(string: "http://\(emulatorHost):\(hostingPort)")!)
        }
        AppCheck.setAppCheckProviderFactory(FruitAppCheckProviderFactory())
        FirebaseApp.configure()
        let project = FirebaseApp.app()?.options.projectID ?? ""
        return FruitClient(apiBase: URL(string: "https://\(project).web.app")!)
    }

    /// Email and password when given, else an anonymous account (which gets a lower rate limit).
    func signIn(email: String? = nil, password: String? = nil) async throws -> String {
        if let email, let password {
            return try await auth.signIn(withEmail: email, password: password).user.uid
        }
        return try await auth.signInAnonymously().user.uid
    }

    /// Upload one photo and wait for its classification; throws FruitError with the API's code when refused.
    func classify(_ photo: Data, contentType: String, onProgress: @escaping (Double) -> Void = { _ in }) async throws -> Classification {
        guard let uid = auth.currentUser?.uid else {
            throw FruitError(code: "unauthenticated", message: "Sign in first.")
        }
        // The same limits storage.rules and the server apply, checked here so that a refused photo costs no upload.
        guard let fileExtension = Self.acceptedTypes[contentType] else {
            throw FruitError(code: "unsupported-image", message: "Accepted types: \(Self.acceptedTypes.keys.sorted()).")
        }
        if photo.isEmpty { throw FruitError(code: "empty-image", message: "The photo is empty.") }
        if photo.count > Self.maxUploadBytes { throw FruitError(code: "image-too-large", message: "The photo is larger than 10 MB.") }
        // A new name for every photo: the result is found by its uploadPath, and the API's storagePath accepts
        // only letters, digits, '.', '-' and '_' in a name.
        let path = "\(Self.uploadsFolder)/\(uid)/\(UUID().uuidString).\(fileExtension)"
        let metadata = StorageMetadata()
        metadata.contentType = contentType
        // The SDK retries a dropped connection for up to Storage.storage().maxUploadRetryTime (10 minutes).
        do {
            _ = try await Storage.storage().reference(withPath: path).putDataAsync(photo, metadata: metadata) { progress in
                onProgress(progress?.fractionCompleted ?? 0)
            }
        } catch let error as NSError where error.domain == StorageErrorDomain {
            if StorageErrorCode(rawValue: error.code) == .unauthorized || StorageErrorCode(rawValue: error.code) == .unauthenticated {
                throw FruitError(code: "upload-refused", message: "Storage refused the upload (storage.rules): sign in, and send one image within the limits.")
            }
            throw FruitError(code: "upload-failed", message: "The upload did not complete (\(error.code)): try again when online.")
        }
        let heard = try await firstWithin(Self.resultTimeout) { try await self.outcome(uid: uid, path: path) }
        if let answer = heard ?? nil { return answer }
        return try await classifyStored(uid: uid, path: path)
    }

    private func resultQuery(uid: String, collection: String, path: String) -> Query {
        db.collection("users").document(uid).collection(collection).whereField("uploadPath", isEqualTo: path).limit(to: 1)
    }

    /// The first of: the classification the trigger wrote for this upload, or the uploadErrors document saying
    /// why it could not (thrown). Both carry the upload's path in `uploadPath`. Nil when a listener fails: the API
    /// fallback then answers, with a clear error if there is one.
    private func outcome(uid: String, path: String) async throws -> Classification? {
        let stream = AsyncThrowingStream<Classification?, Error> { continuation in
            let registrations = [
                resultQuery(uid: uid, collection: "classifications", path: path).addSnapshotListener { snapshot, error in
                    if error != nil { continuation.yield(nil) }
                    if let document = snapshot?.documents.first { continuation.yield(Self.classification(document)) }
                },
                resultQuery(uid: uid, collection: "uploadErrors", path: path).addSnapshotListener { snapshot, error in
                    if error != nil { continuation.yield(nil) }
                    if let document = snapshot?.documents.first { continuation.finish(throwing: Self.fruitError(document)) }
                },
            ]
            continuation.onTermination = { _ in registrations.forEach { $0.remove() } }
        }
        for try await answer in stream {
            return answer
        }
        throw CancellationError()
    }

    /// The trigger has not answered in time (a cold start, a backlog, a lost event): the API classifies the upload
    /// now. Racing the trigger is safe: both derive the same document id from the object.
    private func classifyStored(uid: String, path: String) async throws -> Classification {
        do {
            return try await postClassify(storagePath: path)
        } catch let error as FruitError where error.code == "upload-not-found" {
            // The trigger took the upload in the meantime; it writes its document before it removes the upload.
            let classified = try await resultQuery(uid: uid, collection: "classifications", path: path).getDocuments()
            if let document = classified.documents.first { return Self.classification(document) }
            let refused = try await resultQuery(uid: uid, collection: "uploadErrors", path: path).getDocuments()
            if let document = refused.documents.first { throw Self.fruitError(document) }
            throw FruitError(code: "no-result", message: "The upload was neither classified nor refused: upload the photo again.")
        }
    }

    private func postClassify(storagePath: String) async throws -> Classification {
        guard let user = auth.currentUser else { throw FruitError(code: "unauthenticated", message: "Sign in first.") }
        var request = URLRequest(url: apiBase.appendingPathComponent("api/classify"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let idToken = try await user.getIDToken()
        request.setValue("Bearer \(idToken)", forHTTPHeaderField: "Authorization")
        // Where the API enforces App Check and no token could be had, it answers app-check-missing.
        if let appCheckToken = try? await AppCheck.appCheck().token(forcingRefresh: false) {
            request.setValue(appCheckToken.token, forHTTPHeaderField: "X-Firebase-AppCheck")
        }
        request.httpBody = try JSONSerialization.data(withJSONObject: ["storagePath": storagePath])
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw FruitError(code: "network-error", message: "The API at \(apiBase) could not be reached: \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        if status == 201 {
            return Classification(
                id: json["id"] as? String ?? "",
                label: json["label"] as? String ?? "",
                confidence: json["confidence"] as? Double ?? 0,
                abstained: json["abstained"] as? Bool ?? false,
                modelVersion: json["modelVersion"] as? String ?? ""
            )
        }
        let error = json["error"] as? [String: Any] ?? [:]
        let retryAfter = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After").flatMap { Int($0) }
        throw FruitError(
            code: error["code"] as? String ?? "http-\(status)",
            message: error["message"] as? String ?? "",
            retryAfterSeconds: retryAfter
        )
    }

    private static func classification(_ document: DocumentSnapshot) -> Classification {
        Classification(
            id: document.documentID,
            label: document.get("label") as? String ?? "",
            confidence: document.get("confidence") as? Double ?? 0,
            abstained: document.get("abstained") as? Bool ?? false,
            modelVersion: document.get("modelVersion") as? String ?? ""
        )
    }

    private static func fruitError(_ document: DocumentSnapshot) -> FruitError {
        FruitError(code: document.get("error.code") as? String ?? "", message: document.get("error.message") as? String ?? "")
    }
}

/// The operation's result, or nil when it has not finished within `timeout` (it is then cancelled).
private func firstWithin<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
