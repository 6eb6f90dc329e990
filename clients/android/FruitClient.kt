// The fruit classifier's mobile flow on Android (docs/mobile.md): sign in with Firebase Auth, upload the photo to
// uploads/<uid>/<name> with the Storage SDK, wait for what the classify_upload trigger writes (the classification,
// or an uploadErrors document saying why not) with a Firestore listener, and if nothing comes within
// RESULT_TIMEOUT ask the API to classify the upload itself (POST /api/classify {"storagePath"}).
//
// Dependencies (app module; Firebase Android BoM 34 or later, whose main modules carry the Kotlin APIs):
//   implementation(platform("com.google.firebase:firebase-bom:34.15.0"))
//   implementation("com.google.firebase:firebase-auth")
//   implementation("com.google.firebase:firebase-firestore")
//   implementation("com.google.firebase:firebase-storage")
//   implementation("com.google.firebase:firebase-appcheck-playintegrity")
//   implementation("com.google.firebase:firebase-appcheck-debug")
//   implementation("org.jetbrains.kotlinx:kotlinx-coroutines-play-services:1.10.2")
// Copy this file into the app, change the package, and call FruitClient.start once from Application.onCreate.
package com.example.fruit

import android.content.Context
import com.google.firebase.Firebase
import com.google.firebase.FirebaseApp
import com.google.firebase.FirebaseOptions
import com.google.firebase.app
import com.google.firebase.appcheck.appCheck
import com.google.firebase.appcheck.debug.DebugAppCheckProviderFactory
import com.google.firebase.appcheck.playintegrity.PlayIntegrityAppCheckProviderFactory
import com.google.firebase.auth.auth
import com.google.firebase.firestore.DocumentSnapshot
import com.google.firebase.firestore.FirebaseFirestoreException
import com.google.firebase.firestore.firestore
import com.google.firebase.firestore.snapshots
import com.google.firebase.initialize
import com.google.firebase.storage.StorageException
import com.google.firebase.storage.storage
import com.google.firebase.storage.storageMetadata
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.mapNotNull
import kotlinx.coroutines.flow.merge
import kotlinx.coroutines.tasks.await
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import org.json.JSONObject
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL
import java.util.UUID
import kotlin.time.Duration.Companion.seconds

/** The server's answer about one photo: the fields of users/<uid>/classifications/<id> the app shows. */
data class Classification(
    val id: String,
    val label: String,
    val confidence: Double,
    val abstained: Boolean, // true: show "not a fruit / not sure" rather than the label
    val modelVersion: String,
)

/** What the app should do about a refusal (docs/mobile.md, "Errors to handle"). */
enum class Remedy { RETRY_LATER, SIGN_IN_AGAIN, ACCOUNT_DISABLED, CHOOSE_ANOTHER_PHOTO, UPDATE_APP, ASK_AN_ADMIN, REPORT }

/** A refusal in the API's words (its error code and message and, for 429 and 503, the seconds to wait), or one of
 *  the client's own codes for what happens before the server sees anything (docs/mobile.md). */
class FruitError(val code: String, message: String, val retryAfterSeconds: Long? = null) : Exception(message) {
    val remedy: Remedy
        get() = when (code) {
            "rate-limited", "unavailable", "org-model-unavailable" -> Remedy.RETRY_LATER
            "network-error", "upload-failed", "no-result" -> Remedy.RETRY_LATER
            "unauthenticated", "invalid-token", "token-expired", "token-revoked", "account-deleted" -> Remedy.SIGN_IN_AGAIN
            "account-disabled" -> Remedy.ACCOUNT_DISABLED
            "empty-image", "image-too-large", "unsupported-image", "corrupt-image", "too-many-pixels" -> Remedy.CHOOSE_ANOTHER_PHOTO
            "app-check-missing", "app-check-invalid" -> Remedy.UPDATE_APP
            "feature-disabled" -> Remedy.ASK_AN_ADMIN
            "upload-refused" -> Remedy.REPORT
            else -> Remedy.REPORT
        }
}

class FruitClient private constructor(app: FirebaseApp, private val apiBase: String) {
    private val auth = Firebase.auth(app)
    private val db = Firebase.firestore(app)
    private val storage = Firebase.storage(app)
    private val appCheck = Firebase.appCheck(app)

    companion object {
        const val UPLOADS_FOLDER = "uploads"
        const val MAX_UPLOAD_BYTES = 10 * 1024 * 1024
        val ACCEPTED_TYPES = mapOf("image/jpeg" to "jpg", "image/png" to "png", "image/webp" to "webp", "image/heic" to "heic")
        val RESULT_TIMEOUT = 20.seconds

        // Debug builds use the emulators (`scripts/dev`; ports from firebase.json) on the development machine,
        // which the Android emulator reaches at 10.0.2.2 (a phone on the same network: the machine's address).
        const val EMULATOR_HOST = "10.0.2.2"
        const val AUTH_PORT = 9099
        const val FIRESTORE_PORT = 8080
        const val STORAGE_PORT = 9199
        const val HOSTING_PORT = 5000

        // The emulators' demo project: its own named app, so google-services.json can stay the real project's.
        private val DEMO_OPTIONS = FirebaseOptions.Builder()
            .setProjectId("demo-fruit")
            .setApplicationId("1:0:android:0")
            .setApiKey("demo-api-key")
            .setStorageBucket("demo-fruit.appspot.com")
            .build()

        /** Call once, from Application.onCreate. `debug`: BuildConfig.DEBUG. */
        fun start(context: Context, debug: Boolean): FruitClient {
            if (debug) {
                val app = Firebase.initialize(context, DEMO_OPTIONS, "emulators")
                // App Check has no emulator; the debug provider prints a token to register in the console.
                Firebase.appCheck(app).installAppCheckProviderFactory(DebugAppCheckProviderFactory.getInstance())
                Firebase.auth(app).useEmulator(EMULATOR_HOST, AUTH_PORT)
                Firebase.firestore(app).useEmulator(EMULATOR_HOST, FIRESTORE_PORT)
                Firebase.storage(app).useEmulator(EMULATOR_HOST, STORAGE_PORT)
                return FruitClient(app, "http://$EMULATOR_HOST:$HOSTING_PORT")
            }
            Firebase.appCheck.installAppCheckProviderFactory(PlayIntegrityAppCheckProviderFactory.getInstance())
            return FruitClient(Firebase.app, "https://${Firebase.app.options.projectId}.web.app")
        }
    }

    /** Email and password when given, else an anonymous account (which gets a lower rate limit). */
    suspend fun signIn(email: String? = null, password: String? = null): String {
        val result = if (email != null && password != null) {
            auth.signInWithEmailAndPassword(email, password).await()
        } else {
            auth.signInAnonymously().await()
        }
        return checkNotNull(result.user).uid
    }

    /** Upload one photo and wait for its classification; throws FruitError with the API's code when refused. */
    suspend fun classify(photo: ByteArray, contentType: String, onProgress: (Double) -> Unit = {}): Classification {
        val uid = auth.currentUser?.uid ?: throw FruitError("unauthenticated", "Sign in first.")
        // The same limits storage.rules and the server apply, checked here so that a refused photo costs no upload.
        val extension = ACCEPTED_TYPES[contentType]
            ?: throw FruitError("unsupported-image", "Accepted types: ${ACCEPTED_TYPES.keys.joinToString()}.")
        if (photo.isEmpty()) throw FruitError("empty-image", "The photo is empty.")
        if (photo.size > MAX_UPLOAD_BYTES) throw FruitError("image-too-large", "The photo is larger than 10 MB.")
        // A new name for every photo: the result is found by its uploadPath, and the API's storagePath accepts
        // only letters, digits, '.', '-' and '_' in a name.
        val path = "$UPLOADS_FOLDER/$uid/${UUID.randomUUID()}.$extension"
        val upload = storage.reference.child(path).putBytes(photo, storageMetadata { this.contentType = contentType })
        upload.addOnProgressListener { onProgress(it.bytesTransferred.toDouble() / it.totalByteCount) }
        try {
            upload.await() // the SDK retries a dropped connection for up to maxUploadRetryTimeMillis (10 minutes)
        } catch (e: StorageException) {
            throw if (e.errorCode == StorageException.ERROR_NOT_AUTHORIZED || e.errorCode == StorageException.ERROR_NOT_AUTHENTICATED) {
                FruitError("upload-refused", "Storage refused the upload (storage.rules): sign in, and send one image within the limits.")
            } else {
                FruitError("upload-failed", "The upload did not complete (${e.errorCode}): try again when online.")
            }
        }
        return withTimeoutOrNull(RESULT_TIMEOUT) { outcome(uid, path) } ?: classifyStored(uid, path)
    }

    private fun resultQuery(uid: String, collection: String, path: String) =
        db.collection("users").document(uid).collection(collection).whereEqualTo("uploadPath", path).limit(1)

    /** The first of: the classification the trigger wrote for this upload, or the uploadErrors document saying
     *  why it could not (thrown). Both carry the upload's path in `uploadPath`. Null when a listener fails: the
     *  API fallback then answers, with a clear error if there is one. */
    private suspend fun outcome(uid: String, path: String): Classification? {
        val classified = resultQuery(uid, "classifications", path).snapshots()
            .mapNotNull { it.documents.firstOrNull() }
            .map { Result.success(it.toClassification()) }
        val refused = resultQuery(uid, "uploadErrors", path).snapshots()
            .mapNotNull { it.documents.firstOrNull() }
            .map { Result.failure<Classification>(it.toFruitError()) }
        val first = try {
            merge(classified, refused).first()
        } catch (e: FirebaseFirestoreException) {
            return null
        }
        return first.getOrThrow()
    }

    /** The trigger has not answered in time (a cold start, a backlog, a lost event): the API classifies the upload
     *  now. Racing the trigger is safe: both derive the same document id from the object. */
    private suspend fun classifyStored(uid: String, path: String): Classification {
        val (status, body) = post("/api/classify", JSONObject().put("storagePath", path))
        if (status == 201) return body.toClassification()
        val error = body.toFruitError(status)
        if (error.code != "upload-not-found") throw error
        // The trigger took the upload in the meantime; it writes its document before it removes the upload.
        resultQuery(uid, "classifications", path).get().await().documents.firstOrNull()?.let { return it.toClassification() }
        resultQuery(uid, "uploadErrors", path).get().await().documents.firstOrNull()?.let { throw it.toFruitError() }
        throw FruitError("no-result", "The upload was neither classified nor refused: upload the photo again.")
    }

    private suspend fun post(route: String, body: JSONObject): Pair<Int, ApiResponse> {
        val idToken = checkNotNull(auth.currentUser).getIdToken(false).await().token
        val appCheckToken = try {
            appCheck.getAppCheckToken(false).await().token
        } catch (e: Exception) {
            null // where the API enforces App Check it answers app-check-missing, which the app handles
        }
        return withContext(Dispatchers.IO) {
            val connection = URL(apiBase + route).openConnection() as HttpURLConnection
            try {
                connection.requestMethod = "POST"
                connection.doOutput = true
                connection.setRequestProperty("Content-Type", "application/json")
                connection.setRequestProperty("Authorization", "Bearer $idToken")
                appCheckToken?.let { connection.setRequestProperty("X-Firebase-AppCheck", it) }
                connection.outputStream.use { it.write(body.toString().toByteArray()) }
                val status = connection.responseCode
                val stream = if (status < 400) connection.inputStream else connection.errorStream
                val text = stream?.bufferedReader()?.use { it.readText() }.orEmpty()
                status to ApiResponse(JSONObject(text.ifEmpty { "{}" }), connection.getHeaderField("Retry-After"))
            } catch (e: IOException) {
                throw FruitError("network-error", "The API at $apiBase could not be reached: ${e.message}")
            } finally {
                connection.disconnect()
            }
        }
    }
}

private class ApiResponse(val json: JSONObject, val retryAfter: String?) {
    fun toClassification() = Classification(
        id = json.getString("id"),
        label = json.getString("label"),
        confidence = json.getDouble("confidence"),
        abstained = json.getBoolean("abstained"),
        modelVersion = json.getString("modelVersion"),
    )

    fun toFruitError(status: Int): FruitError {
        val error = json.optJSONObject("error")
        return FruitError(
            code = error?.optString("code").orEmpty().ifEmpty { "http-$status" },
            message = error?.optString("message").orEmpty(),
            retryAfterSeconds = retryAfter?.toLongOrNull(),
        )
    }
}

private fun DocumentSnapshot.toClassification() = Classification(
    id = id,
    label = getString("label").orEmpty(),
    confidence = getDouble("confidence") ?: 0.0,
    abstained = getBoolean("abstained") ?: false,
    modelVersion = getString("modelVersion").orEmpty(),
)

private fun DocumentSnapshot.toFruitError() =
    FruitError(code = getString("error.code").orEmpty(), message = getString("error.message").orEmpty())
